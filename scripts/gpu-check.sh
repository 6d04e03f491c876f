#!/usr/bin/env bash
# The one-call check of a GPU host, run from an unpacked bundle (make bundle)
# with no Go and no package manager there:
#   ./gpu-check [--small] [--out DIR]
# It leaves everything in one folder (default gpu-check-DATE): the device
# and its driver, the EGL devices and the route chosen, the GPU correctness
# tests (the GPU engine against sim.Reference, every boundary and kernel),
# grayscott bench at 1024², 2048², 4096² (compute per engine, kernel and work
# group; readback; codecs; storage; end to end), the largest grid again
# with each kernel in a fresh process, and the codecs, storage and end to
# end at the course's 1080×1920 with e=34 per storage buffer length and
# codec (none, deflate:1, bitshuffle-lz4, each keeping 23 and 10 bits), on
# local disk and on /dev/shm. Each step's output goes to its own log; the
# summary says which steps failed and the best end to end per codec on
# /dev/shm against issue 23's goal (500 images/s). Exit status: 0 when
# every step passed.
#
# --small runs the same steps on small grids (a dry run on any machine,
# llvmpipe included, in CI); it then accepts a software EGL device.
set -uo pipefail
here=$(dirname "$(readlink -f "$0")")
small=0
out="gpu-check-$(date -u +%Y%m%d-%H%M%S)"
while [ $# -gt 0 ]; do
  case "$1" in
    --small) small=1 ;;
    --out) out="$2"; shift ;;
    -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
    *) echo "gpu-check: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
mkdir -p "$out" || exit 1
out=$(readlink -f "$out")
rm -f "$out"/*.log # an earlier check's steps (a dry run reuses its folder) are not this one's
: >"$out/check.log"
gs="$here/grayscott"
export MESA_SHADER_CACHE_DISABLE=true GRAYSCOTT_REQUIRE_GL=1

if [ "$small" = 1 ]; then
  sizes=64,128; course=108x192; images=4; repeats=1; testrun='TestMatchesReference|TestReadbackRing|TestEveryShaderCompiles|TestContextInfo'
  benchtime=1x; workgroups=16x16,8x8; developed=2000
else
  sizes=1024,2048,4096; course=1080x1920; images=20; repeats=3; testrun='.'
  benchtime=10x; workgroups=32x8,64x4,256x1; developed=20000
fi
# The codecs of the course-size steps: each also keeping 10 mantissa bits.
codecs=none,deflate:1,bitshuffle-lz4; keepbits=23,10

failed=()
step() { # step NAME TIMEOUT COMMAND...: runs COMMAND, its output into NAME.log
  local name=$1 limit=$2
  shift 2
  echo "== $name: $*" | tee -a "$out/check.log"
  local start=$SECONDS
  if command -v timeout >/dev/null; then
    timeout "$limit" "$@" >"$out/$name.log" 2>&1
  else
    "$@" >"$out/$name.log" 2>&1
  fi
  local rc=$?
  echo "   exit $rc after $((SECONDS - start)) s" | tee -a "$out/check.log"
  [ $rc -eq 0 ] || failed+=("$name")
  return $rc
}

# The machine, the driver, the devices.
{
  date -u; uname -a
  command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.memory,pcie.link.gen.max,pcie.link.width.max --format=csv
  command -v nvidia-smi >/dev/null && nvidia-smi
  grep -m1 'model name' /proc/cpuinfo; nproc; free -g; df -h "$out" /dev/shm
  echo "-- EGL vendor files and driver libraries"
  ls -l /usr/share/glvnd/egl_vendor.d /etc/glvnd/egl_vendor.d /usr/local/nvidia/share/glvnd/egl_vendor.d 2>&1
  cat /usr/share/glvnd/egl_vendor.d/*nvidia*.json /usr/local/nvidia/share/glvnd/egl_vendor.d/*.json 2>/dev/null
  ldconfig -p 2>/dev/null | grep -i -E 'nvidia|libEGL'
  ls /usr/local/nvidia/lib64 2>/dev/null | grep -i egl
  ldd --version 2>&1 | head -1
} >"$out/machine.txt" 2>&1
hardware() { grep -q 'context (--egl-platform device): egl device [0-9]* (hardware)' "$1"; }
step devices 60 "$gs" devices --egl-platform device
if ! hardware "$out/devices.log" && [ "$small" = 0 ] && [ -z "${GRAYSCOTT_SYSTEM_LIBC:-}" ]; then
  # The host's driver may need a newer glibc than the bundled one.
  if GRAYSCOTT_SYSTEM_LIBC=1 step devices-system-libc 60 "$gs" devices --egl-platform device &&
    hardware "$out/devices-system-libc.log"; then
    echo "   the bundled glibc missed the driver; the host's glibc found it: using GRAYSCOTT_SYSTEM_LIBC=1" | tee -a "$out/check.log"
    export GRAYSCOTT_SYSTEM_LIBC=1
    cp "$out/devices-system-libc.log" "$out/devices.log"
    failed=()
  fi
fi
if hardware "$out/devices.log"; then
  echo "   the GPU engine runs on a hardware EGL device: $(grep -o 'egl device [0-9]* (hardware): [^;]*' "$out/devices.log")" | tee -a "$out/check.log"
elif [ "$small" = 1 ]; then
  echo "   no hardware EGL device (accepted with --small)" | tee -a "$out/check.log"
else
  echo "   FAIL: the device route did not pick a hardware device" | tee -a "$out/check.log"
  failed+=(device-route)
fi

# Correctness: the GPU engine against sim.Reference, bit for bit, every
# kernel and boundary (the test binary reads its testdata from its folder).
cd "$here/bin" || exit 1
step gpu-tests 150 "$here/run" ./gpu.test -test.v -test.count=1 -test.run "$testrun" \
  -test.bench 'ShaderHistory' -test.benchtime "$benchtime"
cd - >/dev/null || exit 1

# Every stage at three sizes, both engines; the fastest kernels saved.
step bench-sizes 300 "$gs" bench --egl-platform device --sizes "$sizes" --images "$images" --repeats "$repeats" \
  --workgroups "$workgroups" --compression 0,1 --kernel fastest --dir "$out" \
  --json "$out/bench-sizes.json" --csv "$out/bench-sizes.csv" --plot "$out/bench-sizes.png" \
  --save-tuning --tuning "$out/tuning.json"

# The stencil at the largest grid, each kernel in a fresh process: on the
# H100 a long bench process measured the same kernel 3× slower than a fresh
# one (docs/BENCHMARKS.md); these rows tell the two apart.
big=${sizes##*,}
for kernel in column naive tiled; do
  step "fresh-$kernel" 120 "$gs" bench --egl-platform device --sizes "$big" --engines gpu --kernels "$kernel" \
    --workgroups "$workgroups" --images 2 --repeats "$repeats" --buffer-lens 1 --compression 0 --flush-every 0 \
    --dir /dev/shm --save-tuning=false --json "$out/fresh-$kernel.json"
done

# The codecs, storage and end to end at the course's size, per codec
# (issue 23), the GPU engine (bench-sizes measures the CPU's): local disk
# and /dev/shm. The developed image comes from the GPU (20,000 steps in a
# fraction of a second there).
for where in disk shm; do
  dir="$out"
  [ "$where" = shm ] && dir=/dev/shm
  step "e2e-$where" 240 "$gs" bench --egl-platform device --engines gpu --sizes "$course" -e 34 \
    --images "$images" --repeats "$repeats" --buffer-lens 0,1,2,4 --compression "$codecs" --keep-bits "$keepbits" \
    --developed "$developed" --flush-every 0 --workgroups "$workgroups" --kernel fastest --dir "$dir" --save-tuning=false \
    --json "$out/e2e-$where.json" --csv "$out/e2e-$where.csv" --plot "$out/e2e-$where.png"
done

# The bench's table (bench/report.go): a heading per section ("limits", a
# grid such as 1024² or 1080×1920) at column 0, then rows indented by two
# spaces: stage, configuration, median and unit, ...
heading='^(limits|[0-9]+(²|×[0-9]+))$'
rows() { # rows STAGES FILE...: the rows whose stage matches STAGES (an ERE), under their heading
  awk -v heading="$heading" -v want="^ +($1)" '
    FNR == 1 { section = ""; shown = "" }
    $0 ~ heading { section = $0; next }
    $0 ~ want { if (section != shown) { print "  " section; shown = section }; print "  " $0 }' "${@:2}" 2>/dev/null
}
fastest() { # fastest FILE...: per grid, the GPU compute row with the most cell-updates/s
  awk -v heading="$heading" '
    $0 ~ heading { section = $0; next }
    /^ +compute +gpu .*cell-updates\/s/ {
      for (i = 1; i < NF; i++) if ($(i + 1) == "cell-updates/s") rate = $i + 0
      if (!(section in best)) order[++n] = section
      else if (rate <= best[section]) next
      best[section] = rate; row[section] = $0
    }
    END {
      for (i = 1; i <= n; i++) print "  " order[i] "\n  " row[order[i]]
      if (n == 0) print "  none (the bench measured no GPU engine)"
    }' "$@" 2>/dev/null
}
best_e2e() { # best_e2e FILE: per codec, the end-to-end row with the most images/s, and issue 23's goal
  awk -v heading="$heading" '
    $0 ~ heading { section = $0; next }
    /^ +end-to-end / {
      for (i = 1; i < NF; i++) if ($(i + 1) == "images/s") rate = $i + 0
      codec = $0; sub(/ flush [0-9]+ .*/, "", codec); sub(/.* buf [0-9]+ /, "", codec)
      if (!(codec in best)) order[++n] = codec
      else if (rate <= best[codec]) next
      best[codec] = rate; row[codec] = $0
      if (rate > top) top = rate
    }
    END {
      for (i = 1; i <= n; i++) print "  " row[order[i]]
      if (n == 0) print "  none (no end-to-end rows)"
      else printf "  issue 23 goal (>= 500 images/s with the best codec): %s (best %d images/s)\n", (top >= 500 ? "met" : "not met"), top
    }' "$1" 2>/dev/null
}
{
  echo "grayscott gpu-check, $(date -u)"
  grep -h -m1 -A1 '^name' "$out/machine.txt" 2>/dev/null
  grep -h 'context\|engine auto\|CPU:' "$out/devices.log" 2>/dev/null
  echo "-- steps (exit status, seconds)"
  grep -h '^== \|exit [0-9]* after' "$out/check.log" | sed 's/^== \([^:]*\):.*/\1/' | paste - - | awk '{print "  " $1 ": exit " $3 " after " $5 " s"}'
  echo "-- gpu tests"
  grep -h -- '--- FAIL\|^ok\|^FAIL\|^PASS' "$out/gpu-tests.log" 2>/dev/null
  echo "-- fastest GPU kernel per grid (GPU timer)"
  fastest "$out"/bench-sizes.log
  echo "-- each kernel in a fresh process, largest grid"
  rows 'compute +gpu .*cell-updates/s' "$out"/fresh-*.log
  for f in "$out"/bench-sizes.log "$out"/e2e-*.log; do
    [ -f "$f" ] && { echo "-- $(basename "$f" .log)"; rows '(memory-copy|host-copy|readback|codec|disk-write|storage|end-to-end) |compute +cpu .*cell-updates' "$f"; }
  done
  echo "-- end to end at $course on /dev/shm: the best per codec"
  best_e2e "$out/e2e-shm.log"
  if [ ${#failed[@]} -eq 0 ]; then echo "every step passed"; else echo "FAILED: ${failed[*]}"; fi
} >"$out/summary.txt"
cat "$out/summary.txt"
echo "gpu-check: everything is in $out"
[ ${#failed[@]} -eq 0 ]
