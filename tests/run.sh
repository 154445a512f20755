#!/usr/bin/env bash
# The test command. Runs the suite in two passes:
#   1. everything except the Cuda category (the KernelCompile tests use Debian's NVRTC when it is installed, see
#      .ci/install-nvrtc.sh, and skip saying so when it is not);
#   2. the Cuda category on the CPU stand-in for the CUDA driver, NVRTC and cuBLAS (tests/cuda-standin), selected by
#      the three variables tests/cuda-standin/build.sh prints — they redirect NVRTC for a whole process, hence two passes.
# Ends with one summary line over both passes: "N passed, N failed, N skipped".
set -uo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT
started=$SECONDS

# Counts of one pass from its TRX file: "passed failed skipped" (skipped = NUnit's ignored, TRX's not executed).
counts() {
  local counters
  counters=$(grep -o '<Counters [^>]*>' "$1" 2>/dev/null) || { echo "0 1 0"; return; }
  local total passed failed
  total=$(sed -nE 's/.* total="([0-9]+)".*/\1/p' <<<"$counters")
  passed=$(sed -nE 's/.* passed="([0-9]+)".*/\1/p' <<<"$counters")
  failed=$(( $(sed -nE 's/.* failed="([0-9]+)".*/\1/p' <<<"$counters") + $(sed -nE 's/.* error="([0-9]+)".*/\1/p' <<<"$counters")
           + $(sed -nE 's/.* timeout="([0-9]+)".*/\1/p' <<<"$counters") + $(sed -nE 's/.* aborted="([0-9]+)".*/\1/p' <<<"$counters") ))
  echo "$passed $failed $(( total - passed - failed ))"
}

echo "== pass 1: every category but Cuda"
dotnet test tests/StyleAlign.Tests.csproj -c Release --filter "TestCategory!=Cuda" \
  --logger "trx;LogFileName=pass1.trx" --results-directory "$results" 2>&1
rc1=$?
pass1_seconds=$((SECONDS - started))
read -r p1 f1 s1 < <(counts "$results/pass1.trx")
[ "$rc1" -ne 0 ] && [ "$f1" -eq 0 ] && f1=1

echo "== pass 2: the Cuda category on the CPU stand-in for the CUDA driver, NVRTC and cuBLAS"
pass2_started=$SECONDS
if exports=$(bash tests/cuda-standin/build.sh); then
  eval "$exports"
  dotnet test tests/StyleAlign.Tests.csproj -c Release --no-build --filter "TestCategory=Cuda" \
    --logger "console;verbosity=normal" --logger "trx;LogFileName=pass2.trx" --results-directory "$results" 2>&1 | tee "$results/pass2.log"
  rc2=${PIPESTATUS[0]}
  read -r p2 f2 s2 < <(counts "$results/pass2.trx")
  [ "$rc2" -ne 0 ] && [ "$f2" -eq 0 ] && f2=1
else
  echo "could not build the CUDA stand-in (tests/cuda-standin/build.sh)"
  p2=0 f2=1 s2=0
fi
pass2_seconds=$((SECONDS - pass2_started))

echo "== summary"
grep -h '^cuda-run:' "$results/pass2.log" 2>/dev/null || echo "cuda-run: the Cuda tests did not report a device"
for trx in "$results"/pass1.trx "$results"/pass2.trx; do
  [ -f "$trx" ] || continue
  # Each skipped test with its reason.
  grep -o '<UnitTestResult [^>]*outcome="NotExecuted"[^>]*>' "$trx" | sed -nE 's/.*testName="([^"]*)".*/skipped: \1/p' | while read -r line; do
    name=${line#skipped: }
    reason=$(grep -A6 "testName=\"$name\"" "$trx" | sed -nE 's/.*<Message>(.*)<\/Message>.*/\1/p' | head -1)
    echo "skipped: $name — ${reason:-no reason given}"
  done
done
echo "pass 1 (no Cuda category): $p1 passed, $f1 failed, $s1 skipped in ${pass1_seconds} s (build included)"
echo "pass 2 (Cuda on the stand-in): $p2 passed, $f2 failed, $s2 skipped in ${pass2_seconds} s (stand-in build and kernel compiles included)"
echo "whole run: $((SECONDS - started)) s"
echo "$((p1 + p2)) passed, $((f1 + f2)) failed, $((s1 + s2)) skipped"
[ $((f1 + f2)) -eq 0 ]
