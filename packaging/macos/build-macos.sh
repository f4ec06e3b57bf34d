#!/usr/bin/env bash
# Build the 诗笺 macOS app and disk image (on a Mac, from the repository root):
#
#   packaging/macos/build-macos.sh
#
# Needs: Python 3.11+ (python.org universal installer or Homebrew), Xcode command-line
# tools (xcode-select --install) and CMake (brew install cmake): llama-cpp-python
# compiles llama.cpp, with Metal on Apple silicon by default (the GPU of a Mac).
# Results: dist/Shijian.app and dist/shijian-<version>-macos-<arch>.dmg.
# Not signed with a Developer ID: PyInstaller signs it ad hoc, so Gatekeeper asks
# the first time (right-click → Open). See docs/packaging.md for signing.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
python="${PYTHON:-python3}"
venv=build/bundle-venv

[[ -x "$venv/bin/python" ]] || "$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --upgrade pip
"$venv/bin/python" -m pip install ".[build]"
"$venv/bin/python" -m PyInstaller --noconfirm --clean --distpath dist --workpath build/pyinstaller \
  packaging/shijian.spec

QT_QPA_PLATFORM=offscreen dist/Shijian.app/Contents/MacOS/shijian --self-test

version="$(sed -n 's/^__version__ = "\(.*\)"/\1/p' app/__init__.py)"
dmg="dist/shijian-${version}-macos-$(uname -m).dmg"
rm -f "$dmg"
hdiutil create -volname "诗笺 Shijian" -srcfolder dist/Shijian.app -ov -format UDZO "$dmg"
du -sh dist/Shijian.app "$dmg"
