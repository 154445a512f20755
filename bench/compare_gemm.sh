#!/usr/bin/env bash
# Compares the engine's CPU GEMM (f32, or bf16 operands) with PyTorch CPU matmul (OpenBLAS for f32, oneDNN for
# bf16) shape by shape and prints the ratio.
#
# Needs Debian's PyTorch and the threaded OpenBLAS it links through libblas.so.3:
#     apt-get install -y python3-torch libopenblas0-pthread
# It runs under /usr/bin/python3.11 on purpose: a pyenv `python3` earlier on PATH has no access to
# Debian's dist-packages. torch.__config__.show() only says BLAS_INFO=generic for this build, so
# torch_gemm.py prints the BLAS library actually mapped into the process; check it names openblas.
#
# Usage: bench/compare_gemm.sh [--threads 2] [--repeat 10] [--rounds 3] [--dtype f32|bf16] [--transpose-b]
#                              [--shapes "M,N,K M,N,K ..."] [--openblas-core SkylakeX]
# --dtype bf16 gives both sides bf16 operands: the engine widens them to f32 while packing and writes f32,
# PyTorch hands them to oneDNN (bf16 dot products where the CPU has AVX512_BF16) and writes bf16.
# --transpose-b stores B as N x K and reads it transposed on both sides (a linear layer's weight).
# OpenBLAS (PyTorch's f32 path) does not know every new CPU and may fall back to a narrower kernel, so the
# script sets OPENBLAS_CORETYPE=SkylakeX (its AVX-512 kernels), overriding the environment, unless
# --openblas-core names another.
# Both sides run with the same thread count and report the best of --repeat calls after a warm-up; the two
# alternate --rounds times per shape and the best round of each counts, so a burst of other load on the
# cores does not land on one side only. "per CPU-s" compares throughput per CPU-second of each process,
# the fairer figure when the machine is busy (spinning worker threads count against both).
set -euo pipefail

threads=2
repeat=10
rounds=3
dtype=f32
openblas_core=SkylakeX
layout=()
shapes=(256,256,256 512,512,512 1024,1024,1024 2048,2048,2048 512,2048,2048 512,11008,2048 512,2048,11008)
while [[ $# -gt 0 ]]; do
  case "$1" in
    --threads) threads="$2"; shift 2 ;;
    --repeat) repeat="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --dtype) dtype="$2"; shift 2 ;;
    --transpose-b) layout=(--transpose-b); shift ;;
    --shapes) read -r -a shapes <<<"$2"; shift 2 ;;
    --openblas-core) openblas_core="$2"; shift 2 ;;
    *) echo "compare_gemm.sh: unknown argument '$1' (expected --threads N, --repeat R, --rounds N, --dtype f32|bf16, --transpose-b, --shapes LIST, --openblas-core NAME)" >&2; exit 2 ;;
  esac
done
if [[ "$dtype" != f32 && "$dtype" != bf16 ]]; then
  echo "compare_gemm.sh: --dtype must be f32 or bf16, got '$dtype'" >&2
  exit 2
fi

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
python=/usr/bin/python3.11
if ! "$python" -c "import torch" 2>/dev/null; then
  echo "compare_gemm.sh: $python cannot import torch; run: apt-get install -y python3-torch libopenblas0-pthread" >&2
  exit 2
fi

dotnet build "$root/cli/StyleAlign.Cli.csproj" -c Release -v quiet -nologo >/dev/null
cli=(dotnet "$root/cli/bin/Release/net10.0/engine-cli.dll")
# The engine sizes its thread pool from the processor count; pin both sides to the same cores.
export DOTNET_PROCESSOR_COUNT="$threads"
export OMP_NUM_THREADS="$threads" OPENBLAS_NUM_THREADS="$threads"
export OPENBLAS_CORETYPE="$openblas_core"

"$python" "$root/bench/torch_gemm.py" --threads "$threads" --info
echo "OPENBLAS_CORETYPE=$OPENBLAS_CORETYPE, dtype $dtype${layout:+, B transposed}"
echo "load average: $(cut -d" " -f1-3 /proc/loadavg) (other processes on these cores skew both columns)"
printf '%-18s %14s %14s %8s %18s\n' "M x N x K" "engine GFLOP/s" "torch GFLOP/s" "ratio" "ratio per CPU-s"
for shape in "${shapes[@]}"; do
  ours=()
  theirs=()
  for ((round = 0; round < rounds; round++)); do
    ours+=("$("${cli[@]}" bench gemm --device cpu --shape "$shape" --dtype "$dtype" "${layout[@]}" --repeat "$repeat" --json)")
    theirs+=("$("$python" "$root/bench/torch_gemm.py" --threads "$threads" --dtype "$dtype" "${layout[@]}" --repeat "$repeat" --json "$shape")")
  done
  "$python" - "$shape" "${ours[*]}" "${theirs[*]}" <<'PY'
import json, sys
shape = sys.argv[1]
def best(text, key):
    values = [json.loads(line)[key] for line in text.replace("} {", "}\n{").splitlines()]
    return max((v for v in values if v is not None), default=float("nan"))
ours, theirs = best(sys.argv[2], "gflops"), best(sys.argv[3], "gflops")
ours_cpu, theirs_cpu = best(sys.argv[2], "cpu_gflops"), best(sys.argv[3], "cpu_gflops")
print(f"{shape.replace(',', ' x '):<18} {ours:14.2f} {theirs:14.2f} {ours / theirs:8.2f} {ours_cpu / theirs_cpu:18.2f}")
PY
done
