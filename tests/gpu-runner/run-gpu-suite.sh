#!/usr/bin/env bash
# Runs on the GPU machine from the unpacked gpu-runner folder. Writes one log, named by date and GPU, that starts
# with the doctor report (driver, GPU, architecture) and then holds the KernelCompile and Cuda test results.
#   ./run-gpu-suite.sh [extra test-runner arguments]
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
gpu="$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1 | tr ' ' '-' || true)"
log="$here/$(date -u +%Y-%m-%d)-${gpu:-unknown-gpu}.log"
{
  echo "# StyleAlign GPU suite, $(date -u +%Y-%m-%dT%H:%M:%SZ), host $(hostname)"
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv 2>/dev/null || echo "nvidia-smi not found"
  echo "## engine-cli doctor"
  "$here/cli/engine-cli" doctor
  echo "## engine-cli kernels --compile-all (device architecture)"
  arch="$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader 2>/dev/null | head -1 | tr -d '.')"
  "$here/cli/engine-cli" kernels --compile-all --arch "sm_${arch:-80}"
  echo "## tests (KernelCompile, Cuda)"
  "$here/tests/StyleAlign.Tests" --filter "TestCategory=KernelCompile|TestCategory=Cuda" --output detailed --no-ansi --no-progress "$@"
  echo "## exit code $?"
} 2>&1 | tee "$log"
echo "log written to $log"
