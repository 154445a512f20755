#!/usr/bin/env bash
# Runs on the GPU machine from the unpacked gpu-runner folder (no .NET needed) and writes one log, named by date and
# GPU, in about ten minutes on one GPU:
#   1. the GPU, driver and `engine-cli doctor`;  2. every kernel compiled for the device's architecture;
#   3. the KernelCompile and Cuda test categories;
#   4. fused attention forward+backward throughput: T 4096, D 128, causal, GQA 16:2 (the 3B decoder), and D 80 in
#      windows of 64 tokens (the vision tower);  5. fused linear + log-prob at V 151 936;
#   6. `bench train-step` on a random Qwen2.5-VL-3B (config/qwen2.5-vl-3b-instruct.config.json), LoRA and full SimPO;
#   7. 20 SimPO steps of the tiny model on the GPU and on the CPU, loss by loss;  8. a short demo on the GPU.
# A step whose verb this build lacks is skipped with a line saying so; a failing step is logged and the suite goes on.
#
#   ./run-gpu-suite.sh [extra test-runner arguments]
# Environment:
#   STYLEALIGN_GPU_QUICK=1         tiny sizes throughout (to rehearse the script on the CPU stand-in, tests/cuda-standin):
#                                  T 256, V 4096, 3 SimPO steps of one pair and 8 caption tokens, no 3B model
#   STYLEALIGN_GPU_LOG_DIR=DIR     where the log goes (default: this folder)
#   STYLEALIGN_GPU_TEST_FILTER=F   the test runner's filter (default: TestCategory=KernelCompile|TestCategory=Cuda)
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cli="$here/cli/engine-cli"
quick="${STYLEALIGN_GPU_QUICK:-0}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

if [[ "${STYLEALIGN_LIBCUDA:-}" == *standin* ]]; then
  gpu="cpu-standin"
else
  gpu="$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1 | tr ' ' '-' || true)"
fi
log_dir="${STYLEALIGN_GPU_LOG_DIR:-$here}"
mkdir -p "$log_dir"
log="$log_dir/$(date -u +%Y-%m-%d)-${gpu:-unknown-gpu}$([ "$quick" = 1 ] && echo -quick).log"

if [ "$quick" = 1 ]; then
  seq=256 vocab=4096 logprob_tokens=256 simpo_steps=3 simpo_batch=1 simpo_tokens=8 train_config=""
else
  seq=4096 vocab=151936 logprob_tokens=4096 simpo_steps=20 simpo_batch=2 simpo_tokens=16 train_config="$here/config/qwen2.5-vl-3b-instruct.config.json"
fi

# has_verb "bench attention": true when this engine-cli knows the (sub)verb. Help exits 0 even for an unknown
# subverb (it shows the parent's help), so the usage line must name the whole verb.
has_verb() { "$cli" $1 --help 2>/dev/null | grep -q "engine-cli $1 "; }

# step TITLE COMMAND...: a heading, the command line, its output and its exit code and duration.
step() {
  local title=$1; shift
  echo "## $title"
  echo "\$ ${*/#$here\//}"
  local started=$SECONDS
  "$@"
  echo "## exit code $?, $((SECONDS - started)) s"
}

# The per-step "loss" values of a run's metrics.jsonl, one a line.
losses() { grep -o '"loss":[-0-9.eE+]*' "$1/metrics.jsonl" | cut -d: -f2; }

simpo_compare() {
  "$cli" init-tiny "$work/tiny" > /dev/null || return 1
  "$cli" dataset synth --out "$work/data" --train 4 --validation 1 --test 0 --size 32 --style humor > /dev/null || return 1
  local common=(simpo --weights "$work/tiny" --data "$work/data/train.jsonl" --max-steps "$simpo_steps" --batch-size "$simpo_batch"
                --lr 3e-3 --lora-rank 4 --max-caption-tokens "$simpo_tokens" --quiet --json)
  local run
  for run in "cpu --device cpu" "cuda-f32 --device cuda --dtype f32" "cuda-bf16 --device cuda --dtype bf16"; do
    set -- $run
    local name=$1; shift
    echo "- $name: $("$cli" "${common[@]}" --out "$work/$name" "$@" 2>&1 | tail -1)"
  done
  # Loss by loss against the CPU: f32 must agree within 1e-3 relative, bf16 within 2e-2.
  local verdict=0 other tolerance
  for other in cuda-f32:1e-3 cuda-bf16:2e-2; do
    tolerance=${other#*:}; other=${other%%:*}
    [ -f "$work/$other/metrics.jsonl" ] || { echo "$other: no metrics (the run failed)"; verdict=1; continue; }
    paste <(losses "$work/cpu") <(losses "$work/$other") | awk -v name="$other" -v tol="$tolerance" '
      { rel = ($1 == 0) ? ($2 - $1) : ($2 - $1) / $1; if (rel < 0) rel = -rel; if (rel > worst) worst = rel
        printf "step %2d  cpu %.6f  %s %.6f  rel %.2e\n", NR, $1, name, $2, rel }
      END { verdict = (NR > 0 && worst <= tol) ? "OK" : "MISMATCH"
            printf "%s: %d steps, largest relative difference %.2e (tolerance %s): %s\n", name, NR, worst, tol, verdict
            exit verdict == "OK" ? 0 : 1 }' || verdict=1
  done
  return $verdict
}

{
  echo "# StyleAlign GPU suite, $(date -u +%Y-%m-%dT%H:%M:%SZ), host $(hostname)$([ "$quick" = 1 ] && echo ", QUICK MODE (tiny sizes)")"
  if [ "$gpu" = cpu-standin ]; then
    echo "device: the CPU stand-in for the CUDA driver, NVRTC and cuBLAS (tests/cuda-standin) — it proves logic, not speed;"
    echo "every throughput below is the stand-in's and says nothing about a GPU"
  else
    nvidia-smi --query-gpu=name,driver_version,memory.total,compute_cap --format=csv 2>/dev/null || echo "nvidia-smi not found"
  fi
  step "engine-cli doctor" "$cli" doctor
  arch="$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader 2>/dev/null | head -1 | tr -d '.')"
  step "engine-cli kernels --compile-all (sm_${arch:-80})" "$cli" kernels --compile-all --arch "sm_${arch:-80}"
  step "tests" "$here/tests/StyleAlign.Tests" --filter "${STYLEALIGN_GPU_TEST_FILTER:-TestCategory=KernelCompile|TestCategory=Cuda}" \
    --output detailed --no-ansi --no-progress "$@"

  if has_verb "bench attention"; then
    step "fused attention, T $seq, D 128, causal, 16 query / 2 kv heads" \
      "$cli" bench attention --device cuda --seq "$seq" --heads 16 --kv-heads 2 --head-dim 128 --causal --skip-composite --repeat 3 --json
    step "fused attention, T $seq, D 80, windows of 64, 16 heads" \
      "$cli" bench attention --device cuda --seq "$seq" --heads 16 --head-dim 80 --window 64 --skip-composite --repeat 3 --json
  else
    echo "## skipped: fused attention throughput — this engine-cli has no 'bench attention' verb"
  fi
  if has_verb "bench logprob"; then
    step "fused linear + log-prob, N $logprob_tokens, d 2048, V $vocab" \
      "$cli" bench logprob --device cuda --tokens "$logprob_tokens" --hidden 2048 --vocab "$vocab" --skip-memory --json
  else
    echo "## skipped: fused log-prob throughput — this engine-cli has no 'bench logprob' verb"
  fi
  if ! has_verb "bench train-step"; then
    echo "## skipped: training-step throughput and MFU — this engine-cli has no 'bench train-step' verb"
  elif [ -z "$train_config" ]; then
    echo "## skipped: bench train-step on Qwen2.5-VL-3B — quick mode does not build a 3B model"
  else
    step "bench train-step, Qwen2.5-VL-3B (random weights), LoRA SimPO" \
      "$cli" bench train-step --config "$train_config" --device cuda --dtype bf16 --method simpo --batch-pairs 4 --steps 3 --json
    step "bench train-step, Qwen2.5-VL-3B (random weights), full SimPO" \
      "$cli" bench train-step --config "$train_config" --device cuda --dtype bf16 --method simpo --batch-pairs 1 --full --steps 3 --json
  fi
  step "SimPO, $simpo_steps steps of the tiny model: CPU, CUDA f32, CUDA bf16" simpo_compare
  if [ "$quick" = 1 ]; then
    echo "## skipped: demo --device cuda — quick mode (on the CPU stand-in it runs far longer than this suite)"
  else
    step "demo --device cuda (tiny models, short run)" "$cli" demo --device cuda --out "$work/demo" --images 8 --steps 10 --warmup-steps 20 --quiet --json
  fi
} 2>&1 | tee "$log"
echo "log written to $log"
