#!/usr/bin/env bash
# Data-loader benchmark (issue 13), paired: jvision's LoaderBenchmark (JMH, images/s) and the
# PyTorch DataLoader script (benchmarks/python/loader_bench.py) alternate on the same JPEG
# folder, PAIRS times: jvision cold (decode every epoch), PyTorch with PIL, jvision from its disk
# cache, PyTorch with cv2 (when OpenCV is installed). The ratios are taken within each pair and
# their medians printed, so the machine's drift cancels. Decode + resize to 224 + batch 32, no
# model, WORKERS threads (jvision) / worker processes (PyTorch).
#
# Usage: benchmarks/loader_paired.sh DIR [PAIRS] [IMAGES]   (defaults 3 pairs, 20000 images)
#   DIR gets IMAGES JPEGs of ~384 px on the first run (LoaderBenchmark's generator); the disk
#   cache goes to DIR/.jvision_cache (built once, outside the timed part).
#   PYTHON (default python3) must have torch, numpy and Pillow; cv2 is optional.
#   BENCH_JAR (default benchmarks/target/benchmarks.jar) skips nothing: build it first with
#   mvn -q install -DskipTests && mvn -q -f benchmarks/pom.xml package
set -euo pipefail
DIR=${1:?usage: loader_paired.sh DIR [PAIRS] [IMAGES]}
PAIRS=${2:-3}
IMAGES=${3:-20000}
WORKERS=${WORKERS:-2}
PYTHON=${PYTHON:-python3}
JAR=${BENCH_JAR:-benchmarks/target/benchmarks.jar}
HERE=$(cd "$(dirname "$0")" && pwd)
export OPENBLAS_NUM_THREADS=1
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

jmh() { # source -> images/s
  java -jar "$JAR" LoaderBenchmark -p dir="$DIR" -p images="$IMAGES" -p workers="$WORKERS" -p source="$1" \
      -wi 1 -w 10 -i 2 -r 15 -rf json -rff "$tmp/r.json" >"$tmp/jmh.log" 2>&1 || { tail -20 "$tmp/jmh.log" >&2; exit 1; }
  "$PYTHON" -c 'import json,sys; r=json.load(open(sys.argv[1]))[0]; print("%.1f" % r["secondaryMetrics"]["images"]["score"])' "$tmp/r.json"
}
py() { # decoder -> images/s
  "$PYTHON" "$HERE/python/loader_bench.py" --dir "$DIR" --workers "$WORKERS" --decoder "$1" --warmup 10 --seconds 30 \
      | sed -E 's/.*: ([0-9.]+) images\/s/\1/'
}
have_cv2=0; "$PYTHON" -c 'import cv2' 2>/dev/null && have_cv2=1
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
div() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }
jmh disk >/dev/null   # builds the disk cache once (and generates the JPEGs when DIR has none)
cp=(); dp=(); cc=(); dc=()
for ((i = 1; i <= PAIRS; i++)); do
  jc=$(jmh cold); pp=$(py pil); jd=$(jmh disk)
  pc=$pp; [[ $have_cv2 == 1 ]] && pc=$(py cv2)
  echo "pair $i: jvision cold $jc, PyTorch+PIL $pp, jvision disk cache $jd, PyTorch+cv2 $pc images/s"
  cp+=("$(div "$jc" "$pp")"); dp+=("$(div "$jd" "$pp")"); cc+=("$(div "$jc" "$pc")"); dc+=("$(div "$jd" "$pc")")
done
echo "median ratios over $PAIRS pairs ($IMAGES JPEGs, $WORKERS workers, 224 px, batch 32):"
echo "  jvision cold / PyTorch+PIL        $(median "${cp[@]}")   (per pair: ${cp[*]})"
echo "  jvision disk cache / PyTorch+PIL  $(median "${dp[@]}")   (per pair: ${dp[*]})"
[[ $have_cv2 == 1 ]] && echo "  jvision cold / PyTorch+cv2        $(median "${cc[@]}")   (per pair: ${cc[*]})"
[[ $have_cv2 == 1 ]] && echo "  jvision disk cache / PyTorch+cv2  $(median "${dc[@]}")   (per pair: ${dc[*]})"
exit 0
