#!/usr/bin/env bash
# Data-parallel benchmark (issue 14), scripted because it spans processes. Run it from the
# repository root on a quiet machine; it prints one DPBENCH JSON line per run and a summary.
#
#  1. throughput: 2 ranks x 1 torch thread (batch 16 each, Gloo on loopback) against
#     1 rank x 2 threads (batch 32), resnet18 at 96 px, alternated A B A B ... (PAIRS pairs);
#     the ratio is taken per pair and its median reported; each pair also runs the 2 ranks with
#     the all-reduces overlapped with backward (JVISION_DIST_OVERLAP=1, backward hooks) and
#     reports (2 ranks overlapped) / (2 ranks after backward) the same way.
#  2. all-reduce cost per step (2 ranks x 1 thread, batch 8, 96 px; swin at 224 as its window
#     needs) for one model of each family: resnet18, convnext_atto, tf_efficientnetv2_b0,
#     swin_tiny_patch4_window7_224 — the mean ms of one bucketed gradient all-reduce.
#
# Usage: benchmarks/dist_bench.sh [PAIRS] [STEPS]     (defaults 3 and 30; WARMUP=5 steps)
# Smoke:  SMOKE=1 benchmarks/dist_bench.sh             (1 pair, 1 step, 32 px)
# BENCH_CP=<class path> skips the build and runs DataParallelBench from that class path.
set -euo pipefail
PAIRS=${1:-3}
STEPS=${2:-30}
WARMUP=${WARMUP:-5}
SIZE=96
SWIN_SIZE=224
if [[ -n "${SMOKE:-}" ]]; then PAIRS=1; STEPS=1; WARMUP=0; SIZE=32; fi
export OPENBLAS_NUM_THREADS=1

if [[ -z "${BENCH_CP:-}" ]]; then
  mvn -q -o install -DskipTests && mvn -q -o -f benchmarks/pom.xml package
fi
CP=${BENCH_CP:-benchmarks/target/benchmarks.jar}
run() { java -cp "$CP" dev.jvision.bench.DataParallelBench "$@" | grep '^DPBENCH ' | sed 's/^DPBENCH //'; }
ips() { sed -E 's/.*"images_per_s":([0-9.]+).*/\1/'; }

ratio() { awk -v x="$(echo "$1" | ips)" -v y="$(echo "$2" | ips)" 'BEGIN { printf "%.3f", x / y }'; }
median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ratios=()
overlap=()
for ((p = 0; p < PAIRS; p++)); do
  a=$(JVISION_DIST_OVERLAP=0 run 2 1 resnet18 $SIZE 16 $WARMUP $STEPS); echo "$a"
  o=$(JVISION_DIST_OVERLAP=1 run 2 1 resnet18 $SIZE 16 $WARMUP $STEPS); echo "$o"
  b=$(run 1 2 resnet18 $SIZE 32 $WARMUP $STEPS); echo "$b"
  ratios+=("$(ratio "$a" "$b")")
  overlap+=("$(ratio "$o" "$a")")
done
echo "resnet18 ${SIZE}px: (2 ranks x 1 thread) / (1 rank x 2 threads) images/s, per pair: ${ratios[*]}; median $(median "${ratios[@]}")"
echo "resnet18 ${SIZE}px: (2 ranks, all-reduce overlapped with backward) / (after backward) images/s, per pair: ${overlap[*]}; median $(median "${overlap[@]}")"

for m in resnet18 convnext_atto tf_efficientnetv2_b0 swin_tiny_patch4_window7_224; do
  s=$SIZE; [[ $m == swin* ]] && s=$SWIN_SIZE
  run 2 1 "$m" "$s" 8 "$WARMUP" "$((STEPS < 10 ? STEPS : 10))"
done
