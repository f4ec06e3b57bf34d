#!/usr/bin/env bash
# Add 诗笺 to your application menu (this user only; no root needed).
#
#   ./install-desktop-entry.sh              # register this folder's shijian
#   ./install-desktop-entry.sh --uninstall  # remove the menu entry and icons again
#
# Writes $XDG_DATA_HOME/applications/shijian.desktop (default ~/.local/share) with
# Exec pointing at the shijian program in this folder, and the icons into
# $XDG_DATA_HOME/icons/hicolor/<size>x<size>/apps/shijian.png. Move the folder
# elsewhere? Run this script again from its new place.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
data_home="${XDG_DATA_HOME:-$HOME/.local/share}"
apps="$data_home/applications"
icons="$data_home/icons/hicolor"
entry="$apps/shijian.desktop"

refresh() {
  if command -v update-desktop-database >/dev/null 2>&1; then
    update-desktop-database -q "$apps" 2>/dev/null || true
  fi
  if command -v gtk-update-icon-cache >/dev/null 2>&1 && [[ -f "$icons/index.theme" ]]; then
    gtk-update-icon-cache -q -t "$icons" 2>/dev/null || true
  fi
}

if [[ "${1:-}" == "--uninstall" ]]; then
  rm -f "$entry"
  for png in "$here"/share/icons/hicolor/*/apps/shijian.png; do
    size_dir="$(basename "$(dirname "$(dirname "$png")")")"
    rm -f "$icons/$size_dir/apps/shijian.png"
  done
  refresh
  echo "诗笺 removed from the application menu / 已从应用菜单移除"
  exit 0
fi

program="$here/shijian"
if [[ ! -x "$program" ]]; then
  echo "install-desktop-entry: no shijian program next to this script ($program)" >&2
  exit 1
fi

mkdir -p "$apps"
count=0
for png in "$here"/share/icons/hicolor/*/apps/shijian.png; do
  size_dir="$(basename "$(dirname "$(dirname "$png")")")"
  mkdir -p "$icons/$size_dir/apps"
  cp "$png" "$icons/$size_dir/apps/shijian.png"
  count=$((count + 1))
done

# Exec gets the absolute path, quoted as the desktop-entry spec asks (a path may
# hold spaces); sed_escape protects it inside the sed replacement.
exec_arg="$(printf '%s' "$program" | sed -e 's/[\\"`$]/\\&/g' -e 's/%/%%/g')"
exec_arg="\"${exec_arg//\\/\\\\}\""
sed_escape() { printf '%s' "$1" | sed -e 's/[\\|&]/\\&/g'; }
sed -e "s|^Exec=.*|Exec=$(sed_escape "$exec_arg")|" \
  -e "s|^TryExec=.*|TryExec=$(sed_escape "$program")|" \
  "$here/share/applications/shijian.desktop" >"$entry.tmp"
chmod 0644 "$entry.tmp"
mv "$entry.tmp" "$entry"
refresh
echo "诗笺 added to the application menu / 已加入应用菜单: $entry ($count icon sizes)"
