#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages grayscott needs, only when some are
# missing (apt-get is not run otherwise). Idempotent.
#   scripts/install-deps.sh               what building and running need
#   scripts/install-deps.sh --test        and what the tests use (h5py, the bitshuffle plugin, ffmpeg, Slurm, Chromium)
#   scripts/install-deps.sh --paraview    and ParaView's pvpython, for make test-paraview (large)
#   scripts/install-deps.sh --check [--test] [--paraview]  list what is missing, exit 1 if anything
set -euo pipefail

packages=(
  gcc pkg-config            # cgo
  libhdf5-dev hdf5-tools    # HDF5 library and h5dump/h5ls/h5clear
  liblz4-dev                # LZ4 for the bitshuffle codec (storage/codec)
  libegl-dev libgl-dev      # EGL and GL headers and link libraries (glvnd)
  libegl-mesa0 libgl1-mesa-dri  # Mesa's EGL driver and llvmpipe: GL 4.5 without a GPU
  libx11-dev libxcursor-dev libxrandr-dev libxinerama-dev libxi-dev libxxf86vm-dev  # GLFW (--window)
)
check=0
for arg in "$@"; do
  case "$arg" in
    --check) check=1 ;;
    --test) packages+=(
      python3-h5py          # tests read the files back with h5py
      bitshuffle            # the bitshuffle HDF5 plugin (filter 32008) for h5py and h5dump
      ffmpeg                # render's MP4 output
      xvfb xauth            # a virtual X display for the window tests
      slurm-wlm slurm-client munge  # a one-node Slurm cluster for the sweep tests (scripts/slurm-dev.sh)
      chromium              # the web page's tests (grayscott serve, run --serve), driven by chromedp
    ) ;;
    --paraview) packages+=(
      paraview python3-paraview  # pvpython (python3-paraview holds it on Debian 12)
      xvfb xauth python3-h5py    # ParaView's readers under a virtual display, checked with h5py
      bitshuffle                 # the HDF5 plugin for ParaView's reading of bitshuffle-lz4 files
    ) ;;
    *) echo "install-deps: unknown option $arg" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ "$check" = 1 ]; then
  if [ ${#missing[@]} -gt 0 ]; then echo "missing: ${missing[*]}"; exit 1; fi
  echo "install-deps: nothing missing (${#packages[@]} packages checked)"
  exit 0
fi
[ ${#missing[@]} -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null; then
  echo "install-deps: no apt-get here; install these packages (Debian names): ${missing[*]}" >&2
  exit 1
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: not root and no sudo; install: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
echo "install-deps: installing ${missing[*]}" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
