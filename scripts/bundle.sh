#!/usr/bin/env bash
# Builds a self-contained folder that runs grayscott on a Linux x86-64 host
# with an NVIDIA (or any EGL) driver and no package manager, no Go:
#   bundle/grayscott-VERSION-linux-amd64/
#     grayscott        wrapper: runs bin/grayscott with the bundled loader and libraries
#     gpu-check        the one-call check of a GPU host (scripts/gpu-check.sh)
#     run              runs any bundled program that way (run bin/gpu.test …)
#     bin/grayscott    built with -tags nowindow,egl (no window, no X11)
#     bin/gpu.test     the gpu package's tests (the GPU engine against sim.Reference)
#     bin/testdata/    what those tests read
#     lib/             every shared library they link (HDF5 and its dependencies,
#                      glvnd's libEGL, glibc and its loader)
# The GPU's own EGL driver (libEGL_nvidia) comes from the host, found through
# glvnd's vendor files; `run` also looks where container images put them.
# Ends by running the bundle once (on this machine's Mesa) from an empty
# environment, as a smoke test.
set -euo pipefail
cd "$(dirname "$0")/.."
version=$(git describe --always --dirty 2>/dev/null || echo dev)
name="grayscott-$version-linux-amd64"
out="bundle/$name"
# One bundle at a time: make gpu-check finds it by a pattern.
rm -rf bundle/grayscott-*-linux-amd64 bundle/grayscott-*-linux-amd64.tar.gz
mkdir -p "$out/bin" "$out/lib"
go build -buildvcs=auto -tags nowindow,egl -o "$out/bin/grayscott" ./cmd/grayscott
go test -c -tags egl -o "$out/bin/gpu.test" ./gpu
cp -r gpu/testdata "$out/bin/testdata"

# Every library ldd resolves, the loader included.
for prog in "$out/bin/grayscott" "$out/bin/gpu.test"; do
  ldd "$prog" | awk '/=> \// {print $3} /^\t\/.*ld-linux/ {print $1}'
done | sort -u | while read -r lib; do
  cp -L "$lib" "$out/lib/"
done
# The rest of glibc and libgcc_s: the host's GPU driver links them, and under
# the bundled loader they must come from the same glibc as libc.so.6.
libdir=$(dirname "$(ldd "$out/bin/grayscott" | awk '/libc.so.6/ {print $3}')")
for lib in libdl.so.2 libpthread.so.0 librt.so.1 libutil.so.1 libgcc_s.so.1; do
  [ -e "$libdir/$lib" ] && cp -L "$libdir/$lib" "$out/lib/"
done
loader=$(basename "$(ldd "$out/bin/grayscott" | awk '/ld-linux/ {print $1}')")

cat > "$out/run" <<RUN
#!/bin/sh
# Runs a bundled program (run bin/PROGRAM ARGS…) with the bundled loader and
# libraries, and the host's GPU driver.
here=\$(dirname "\$(readlink -f "\$0")")
dirs=/etc/glvnd/egl_vendor.d:/usr/share/glvnd/egl_vendor.d
for d in /usr/local/nvidia/share/glvnd/egl_vendor.d /usr/local/share/glvnd/egl_vendor.d; do
  [ -d "\$d" ] && dirs="\$dirs:\$d"
done
export __EGL_VENDOR_LIBRARY_DIRS="\${__EGL_VENDOR_LIBRARY_DIRS:-\$dirs}"
# Where container images put the driver's libraries (after the bundle's own).
for d in /usr/local/nvidia/lib64 /usr/local/nvidia/lib; do
  [ -d "\$d" ] && LD_LIBRARY_PATH="\${LD_LIBRARY_PATH:+\$LD_LIBRARY_PATH:}\$d"
done
# Tests that start themselves again (gpu.test) do it through this script.
export GRAYSCOTT_BUNDLE_RUN="\$here/run"
prog=\$(readlink -f "\$1")
shift
if [ -n "\${GRAYSCOTT_SYSTEM_LIBC:-}" ]; then
  # The host's glibc (2.34 or newer) and loader, the bundled libraries.
  LD_LIBRARY_PATH="\$here/lib\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}" exec "\$prog" "\$@"
fi
exec "\$here/lib/$loader" --library-path "\$here/lib\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}" "\$prog" "\$@"
RUN
cat > "$out/grayscott" <<'WRAPPER'
#!/bin/sh
# grayscott, bundled: the bundled loader and libraries, the host's GPU driver.
here=$(dirname "$(readlink -f "$0")")
exec "$here/run" "$here/bin/grayscott" "$@"
WRAPPER
cp scripts/gpu-check.sh "$out/gpu-check"
chmod +x "$out/run" "$out/grayscott" "$out/gpu-check"
# The bundled libc must not shadow the host's for the host's driver libraries
# when they are loaded through the host's own loader; with the bundled loader
# they share the bundled glibc, which is as new as Debian 12's (2.36).
cat > "$out/README.txt" <<EOF2
grayscott $version, bundled for Linux x86-64 hosts with an EGL-capable GPU driver.

  ./gpu-check                       the one-call check: devices, GPU tests, benchmarks, into one folder
  ./grayscott devices               the EGL devices and the engine --engine auto picks
  ./grayscott run -r 4096 -c 4096 -n 10 -o out.h5
  ./grayscott bench --sizes 1024,4096 --json bench.json

The GPU is reached through EGL's device platform (--egl-platform device). The
host needs its GPU driver with the EGL vendor file (NVIDIA: 10_nvidia.json,
looked for in /usr/share/glvnd/egl_vendor.d, /etc/glvnd/egl_vendor.d and
/usr/local/nvidia/share/glvnd/egl_vendor.d, or as __EGL_VENDOR_LIBRARY_FILENAMES
says); glvnd's libEGL comes with the bundle.
GRAYSCOTT_SYSTEM_LIBC=1 uses the host's glibc and loader instead of the bundled ones.
EOF2
tar -C bundle -czf "bundle/$name.tar.gz" "$name"

# Smoke test: the bundle runs from an empty environment.
tmp=$(mktemp -d)
env -i PATH=/usr/bin:/bin "$out/grayscott" run -q -r 32 -c 32 -n 2 -e 10 -o "$tmp/smoke.h5"
# (sed, not head: head closing the pipe early would fail it under pipefail)
env -i PATH=/usr/bin:/bin "$out/grayscott" info "$tmp/smoke.h5" | sed -n 1,2p
rm -rf "$tmp"
echo "bundle: $out ($(du -sh "$out" | cut -f1)), bundle/$name.tar.gz"
