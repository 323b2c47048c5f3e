#!/bin/sh
# Builds libjvprofiler.so (JNI shim over libtorch's Kineto profiler) into benchmarks/target/.
# Needs g++, a JDK, the headers of torch 2.13 (taken from a Python torch 2.13 install: PYTHON
# below) and the libtorch_cpu.so JavaCPP extracts to ~/.javacpp/cache (run any jvision command
# once first). Usage: sh benchmarks/native/build.sh
set -e
HERE=$(cd "$(dirname "$0")" && pwd)
OUT="$HERE/../target"
PYTHON=${PYTHON:-/work/venv/bin/python}
TORCH_INC=$("$PYTHON" -c 'import torch, os; print(os.path.join(os.path.dirname(torch.__file__), "include"))')
LIBDIR=$(dirname "$(find "$HOME/.javacpp/cache" -path '*pytorch*linux-x86_64*' -name libtorch_cpu.so | head -1)")
[ -f "$LIBDIR/libtorch_cpu.so" ] || { echo "no libtorch_cpu.so under ~/.javacpp/cache: run a jvision command first" >&2; exit 2; }
JAVA_HOME=${JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")}
mkdir -p "$OUT"
g++ -O1 -std=c++20 -shared -fPIC -D_GLIBCXX_USE_CXX11_ABI=1 \
  -I"$JAVA_HOME/include" -I"$JAVA_HOME/include/linux" -I"$TORCH_INC" -I"$TORCH_INC/torch/csrc/api/include" \
  "$HERE/jv_profiler.cpp" -o "$OUT/libjvprofiler.so" -L"$LIBDIR" -ltorch_cpu -lc10 -Wl,-rpath,"$LIBDIR"
echo "$OUT/libjvprofiler.so"
