#!/usr/bin/env bash
# Opens a small run's XDMF sidecar in ParaView's three XDMF readers
# (Xdmf3ReaderS, the default; Xdmf3ReaderT; the legacy XDMFReader) and
# checks that each shows V of image i = /matrix[i] at timestep i, in the XY
# plane, row 0 at the top as `grayscott render` draws it, with no error
# printed (scripts/paraview_check.py says exactly what it checks); then the
# same for the run written with --compression bitshuffle-lz4, read through
# the bitshuffle plugin (HDF5_PLUGIN_PATH, as the README says), its values
# compared with the raw run's; and for the file of a run killed with
# SIGKILL.
#   scripts/test-paraview.sh        (make test-paraview)
# Installs Debian's paraview, python3-paraview (pvpython), xvfb,
# python3-h5py and bitshuffle (the HDF5 plugin of filter 32008) when
# missing (scripts/install-deps.sh --paraview); builds
# bin/grayscott. Exit status 0 when every check passed.
set -euo pipefail
cd "$(dirname "$0")/.."

# pvpython, Xvfb, h5py, and HDF5 and the cgo headers for the build (a no-op
# when present).
scripts/install-deps.sh --paraview
go build -o bin/grayscott ./cmd/grayscott

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
# A non-square grid of odd sizes, so that a transposed or mirrored image,
# or a wrong row count, cannot pass; a few images, so that timesteps differ.
bin/grayscott run --engine cpu -r 37 -c 53 -n 4 -e 20 -o "$dir/t.h5" -q
[ -f "$dir/t.xmf" ] || { echo "test-paraview: the run wrote no $dir/t.xmf" >&2; exit 1; }

# The same run in bitshuffle+LZ4 chunks (lossless): the same values.
bin/grayscott run --engine cpu -r 37 -c 53 -n 4 -e 20 --compression bitshuffle-lz4 -o "$dir/tb.h5" -q
plugins=$(dirname "$(ls /usr/lib/*/hdf5/serial/plugins/libh5bshuf.so | head -1)")

# check NAME [EXPECTED]: pvpython on $dir/NAME.xmf (which reads NAME.h5),
# its values compared with /matrix of EXPECTED.h5 (NAME.h5 by default) as
# h5py reads it; its stderr must be silent.
check() {
  local status=0
  HDF5_PLUGIN_PATH=$plugins xvfb-run -a pvpython scripts/paraview_check.py "$dir/$1.xmf" "$dir/${2:-$1}.h5" 2>"$dir/stderr" || status=$?
  if [ -s "$dir/stderr" ]; then
    echo "test-paraview: pvpython's stderr:" >&2
    sed 's/^/    /' "$dir/stderr" >&2
    if grep -qiE 'hdf5|error|warn|skipping' "$dir/stderr"; then
      echo "test-paraview: FAIL: ParaView printed errors or warnings (above)" >&2
      [ "$status" -ne 0 ] || status=1
    fi
  fi
  if [ "$status" -ne 0 ]; then
    echo "test-paraview: FAIL for $1.h5 (exit $status); the sidecar was:" >&2
    sed -n '1,25p' "$dir/$1.xmf" >&2
    exit "$status"
  fi
}
check t
check tb t

# A run killed with SIGKILL: its guardian clears the file's "open for
# writing" mark, and ParaView (which opens HDF5 files without SWMR) reads
# it with no step of ours but writing the sidecar.
bin/grayscott run --engine cpu --threads 1 -r 37 -c 53 -n 5000 -e 200 --flush-every 1 -o "$dir/k.h5" -q &
run=$!
for _ in $(seq 200); do
  bin/grayscott info "$dir/k.h5" 2>/dev/null | grep -qE '/matrix +([3-9]|[1-9][0-9]+) images' && break
  sleep 0.05
done
kill -9 "$run"
wait "$run" 2>/dev/null || true
for _ in $(seq 100); do h5dump -H "$dir/k.h5" >/dev/null 2>&1 && break; sleep 0.1; done
bin/grayscott xdmf "$dir/k.h5" 2>/dev/null
check k
echo "test-paraview: ok"
