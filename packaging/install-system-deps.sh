#!/usr/bin/env bash
# System packages 诗笺 needs on Debian/Ubuntu, installed with apt-get.
#
#   packaging/install-system-deps.sh          # to run the app
#   packaging/install-system-deps.sh --test   # to run the test suite too
#
# - a C/C++ toolchain: llama-cpp-python compiles llama.cpp from source on install
# - CJK fonts: without them Qt draws empty boxes (LXGW WenKai is the 楷 face poems use)
# - Qt's X11/EGL/xcb libraries for the desktop window
# - for tests: poppler-utils (pdftotext/pdffonts check exported PDFs), xvfb, xauth
# Nothing happens on systems without apt-get (see README.md for other platforms).
set -euo pipefail

packages=(
  build-essential cmake python3-venv python3-dev
  fonts-noto-cjk fonts-lxgw-wenkai
  libegl1 libgl1 libopengl0 libxkbcommon0 libxkbcommon-x11-0 libfontconfig1 libdbus-1-3
  libglib2.0-0 libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-shape0 libxcb-xinerama0
  libxcb-randr0 libxcb-render-util0 libxcb-image0 libxcb-xkb1
)
if [[ "${1:-}" == "--test" ]]; then
  packages+=(poppler-utils xvfb xauth)
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-system-deps: no apt-get here; install CJK fonts and a C++ toolchain yourself (README.md)" >&2
  exit 0
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [[ ${#missing[@]} -eq 0 ]]; then
  exit 0
fi

sudo=()
if [[ $(id -u) -ne 0 ]]; then
  sudo=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
