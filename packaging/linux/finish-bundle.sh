#!/usr/bin/env bash
# Add the Linux desktop integration to a PyInstaller bundle folder:
#
#   packaging/linux/finish-bundle.sh dist/shijian
#
#   dist/shijian/share/applications/shijian.desktop
#   dist/shijian/share/icons/hicolor/<size>x<size>/apps/shijian.png   (16 … 512)
#   dist/shijian/install-desktop-entry.sh     (registers the entry for the user)
#   dist/shijian/README.txt                   (what to run, in Chinese and English)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
bundle="${1:?usage: finish-bundle.sh BUNDLE_DIR}"
[[ -x "$bundle/shijian" ]] || { echo "finish-bundle: $bundle/shijian is not a program" >&2; exit 1; }

install -D -m 0644 "$root/packaging/linux/shijian.desktop" "$bundle/share/applications/shijian.desktop"
for png in "$root"/resources/icons/shijian-*.png; do
  size="${png##*/shijian-}"
  size="${size%.png}"
  install -D -m 0644 "$png" "$bundle/share/icons/hicolor/${size}x${size}/apps/shijian.png"
done
install -m 0755 "$root/packaging/linux/install-desktop-entry.sh" "$bundle/install-desktop-entry.sh"
install -m 0644 "$root/packaging/linux/README.txt" "$bundle/README.txt"
