#!/usr/bin/env bash
# Build the 诗笺 Linux bundle from a clean checkout, in one command:
#
#   packaging/build-linux.sh            # CPU build of llama-cpp-python
#   packaging/build-linux.sh --cuda     # CUDA build (needs the CUDA toolkit: nvcc)
#
# Steps: a build virtualenv (build/bundle-venv, or $SHIJIAN_BUILD_VENV), the app
# installed into it with the `build` extra (llama-cpp-python compiles llama.cpp:
# 10–20 minutes on two cores the first time, pip caches the CPU wheel), PyInstaller
# on packaging/shijian.spec, the desktop entry and icons (packaging/linux/), the
# bundle's own --self-test, and a tarball. Results:
#
#   dist/shijian/                                   the bundle: run dist/shijian/shijian
#   dist/shijian-<version>-linux-<arch>[-cuda].tar.gz  (.tar.xz with --xz)
#
# Options: --cuda, --no-self-test, --xz (a .tar.xz: a quarter smaller, minutes slower),
# --python PYTHON (default python3, 3.11 or newer).
# See docs/packaging.md.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
root="$PWD"
python=python3
variant=cpu
self_test=1
compress=gz
while [[ $# -gt 0 ]]; do
  case "$1" in
    --cuda) variant=cuda ;;
    --no-self-test) self_test=0 ;;
    --xz) compress=xz ;;
    --python) python="$2"; shift ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "build-linux: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done

venv="${SHIJIAN_BUILD_VENV:-$root/build/bundle-venv}"
started=$(date +%s)
step() { printf '\n== %s (%ss)\n' "$1" "$(( $(date +%s) - started ))"; }

step "build virtualenv: $venv"
if [[ ! -x "$venv/bin/python" ]]; then
  "$python" -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --upgrade pip

if [[ "$variant" == cuda ]]; then
  step "llama-cpp-python with CUDA (CMAKE_ARGS=-DGGML_CUDA=on)"
  command -v nvcc >/dev/null 2>&1 || { echo "build-linux: --cuda needs nvcc (the CUDA toolkit) on PATH" >&2; exit 1; }
  # --no-cache-dir: the CUDA wheel has the same name as the CPU one; keep it out of
  # pip's cache so a later CPU build does not pick it up (and the other way round).
  spec="$(grep -o '"llama-cpp-python[^"]*"' pyproject.toml | tr -d '"')"
  CMAKE_ARGS="-DGGML_CUDA=on ${CMAKE_ARGS:-}" FORCE_CMAKE=1 \
    "$venv/bin/python" -m pip install --no-cache-dir --force-reinstall --no-deps "$spec"
fi

step "install the app with the build extra"
"$venv/bin/python" -m pip install "${root}[build]"

step "PyInstaller"
if [[ "$variant" == cuda ]]; then
  # PyInstaller bundles the CUDA runtime libraries libggml-cuda links against
  # (libcudart, libcublas, libcublasLt) when it can find them; never the driver (libcuda).
  cuda_home="${CUDA_HOME:-$(dirname "$(dirname "$(command -v nvcc)")")}"
  export LD_LIBRARY_PATH="$cuda_home/lib64${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi
rm -rf "$root/dist/shijian"
"$venv/bin/python" -m PyInstaller --noconfirm --clean \
  --distpath "$root/dist" --workpath "$root/build/pyinstaller" "$root/packaging/shijian.spec"

if [[ "$variant" == cuda ]] && ! compgen -G "$root/dist/shijian/_internal/libcublas*" >/dev/null; then
  echo "build-linux: warning: no CUDA runtime libraries in the bundle (is $cuda_home/lib64 right?)" >&2
fi

step "desktop entry and icons"
packaging/linux/finish-bundle.sh "$root/dist/shijian"

if [[ "$self_test" == 1 ]]; then
  step "self-test of the bundle"
  QT_QPA_PLATFORM=offscreen "$root/dist/shijian/shijian" --self-test
fi

step "tarball"
version="$("$venv/bin/python" -c 'import re,sys; print(re.search(r"__version__ = \"(.+)\"", open("app/__init__.py").read()).group(1))')"
arch="$(uname -m)"
suffix=""
[[ "$variant" == cuda ]] && suffix="-cuda"
tarball="$root/dist/shijian-${version}-linux-${arch}${suffix}.tar.${compress}"
if [[ "$compress" == xz ]]; then
  tar -C "$root/dist" -cf - shijian | xz -T0 -6 >"$tarball"
else
  tar -C "$root/dist" -czf "$tarball" shijian
fi

step "done"
du -sh "$root/dist/shijian" "$tarball"
echo "run it:            dist/shijian/shijian"
echo "application menu:  dist/shijian/install-desktop-entry.sh"
