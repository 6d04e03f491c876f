#!/usr/bin/env bash
# The yardstick for the CPU engine (package cpu): builds scripts/cpu-baseline.c,
# a straightforward vectorized C loop, with gcc -O3 -march=native -fopenmp and
# prints its cell-updates/s at 1024² and 4096² with 1 and 2 threads (8 steps
# from the course's initial state, as BenchmarkStep), then over the first 300
# steps at 1024² (subnormal numbers included), then the machine's memcpy
# bandwidth. These machines are shared and noisy: compare
# ratios measured in one run.
#   scripts/cpu-baseline.sh          the C loop and memcpy only
#   scripts/cpu-baseline.sh --go     also go test -bench for the same sizes,
#                                    interleaved with the C loop
set -euo pipefail
cd "$(dirname "$0")/.."

with_go=0
case "${1:-}" in
  --go) with_go=1 ;;
  "") ;;
  *) echo "cpu-baseline: unknown option $1" >&2; exit 2 ;;
esac

bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
gcc -O3 -march=native -fopenmp -o "$bin/cpu-baseline" scripts/cpu-baseline.c
if [ "$with_go" = 1 ]; then
  go test -c -o "$bin/cpu.test" ./cpu
fi

echo "# $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(nproc) CPUs, $(date -u +%FT%TZ)"
for n in 1024 4096; do
  runs=$([ "$n" = 4096 ] && echo 4 || echo 20)
  for t in 1 2; do
    OMP_NUM_THREADS=$t "$bin/cpu-baseline" "$n" 8 "$runs"
  done
  if [ "$with_go" = 1 ]; then
    (cd cpu && "$bin/cpu.test" -test.run '^$' -test.bench "^BenchmarkStep\$/^size=$n\$/" -test.benchtime 2s)
    for t in 1 2; do
      OMP_NUM_THREADS=$t "$bin/cpu-baseline" "$n" 8 "$runs"
    done
  fi
done
# The first 300 steps, most of them with subnormal numbers (Go: BenchmarkStepLong).
for t in 1 2; do
  OMP_NUM_THREADS=$t "$bin/cpu-baseline" 1024 300 2
done
if [ "$with_go" = 1 ]; then
  (cd cpu && "$bin/cpu.test" -test.run '^$' -test.bench '^BenchmarkStepLong$' -test.benchtime 2x)
fi
for t in 1 2; do
  OMP_NUM_THREADS=$t "$bin/cpu-baseline" --memcpy 256
done
