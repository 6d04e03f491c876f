#!/usr/bin/env bash
# Opens a small run's XDMF sidecar in ParaView's three XDMF readers
# (Xdmf3ReaderS, the default; Xdmf3ReaderT; the legacy XDMFReader) and
# checks that each shows V of image i = /matrix[i] at timestep i, in the XY
# plane, row 0 at the top as `grayscott render` draws it, with no error
# printed (scripts/paraview_check.py says exactly what it checks).
#   scripts/test-paraview.sh        (make test-paraview)
# Installs Debian's paraview, python3-paraview (pvpython), xvfb and
# python3-h5py when pvpython, xvfb-run or h5py are missing; builds
# bin/grayscott. Exit status 0 when every check passed.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(paraview python3-paraview xvfb xauth python3-h5py)
if ! command -v pvpython >/dev/null || ! command -v xvfb-run >/dev/null ||
  ! /usr/bin/python3 -c 'import h5py' 2>/dev/null; then
  if ! command -v apt-get >/dev/null; then
    echo "test-paraview: no apt-get here; install these packages (Debian names): ${packages[*]}" >&2
    exit 1
  fi
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "test-paraview: not root and no sudo; install: ${packages[*]}" >&2; exit 1; }
    sudo="sudo"
  fi
  echo "test-paraview: installing ${packages[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
fi

scripts/install-deps.sh # HDF5 and the cgo headers, for the build (a no-op when present)
go build -o bin/grayscott ./cmd/grayscott

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
# A non-square grid of odd sizes, so that a transposed or mirrored image,
# or a wrong row count, cannot pass; a few images, so that timesteps differ.
bin/grayscott run --engine cpu -r 37 -c 53 -n 4 -e 20 -o "$dir/t.h5" -q
[ -f "$dir/t.xmf" ] || { echo "test-paraview: the run wrote no $dir/t.xmf" >&2; exit 1; }

status=0
xvfb-run -a pvpython scripts/paraview_check.py "$dir/t.xmf" "$dir/t.h5" 2>"$dir/stderr" || status=$?
if [ -s "$dir/stderr" ]; then
  echo "test-paraview: pvpython's stderr:" >&2
  sed 's/^/    /' "$dir/stderr" >&2
  if grep -qiE 'hdf5|error|warn|skipping' "$dir/stderr"; then
    echo "test-paraview: FAIL: ParaView printed errors or warnings (above)" >&2
    [ "$status" -ne 0 ] || status=1
  fi
fi
if [ "$status" -ne 0 ]; then
  echo "test-paraview: FAIL (exit $status); the sidecar was:" >&2
  sed -n '1,25p' "$dir/t.xmf" >&2
  exit "$status"
fi
echo "test-paraview: ok"
