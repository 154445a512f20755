#!/usr/bin/env bash
# Kill campaign: SIGKILLs training runs N times at random moments and checks that resuming still yields the run an
# uninterrupted one gives.
#
# It trains the built-in tiny Qwen2.5-VL with LoRA SimPO (dropout on, so the resumed random streams matter, a
# checkpoint every step and an evaluation set, so the final evaluation record is exercised), first once without
# interruption (the reference), then in rounds in a second folder: each attempt starts `simpo --resume` and is
# killed after a random delay, and the next attempt resumes, until an attempt finishes the run on its own; the
# finished run is then resumed once more (which must change nothing) and checked, and the next round starts from an
# empty folder. Four delays in five fall between the end of model loading and two steps later, so each attempt
# gets a little further and kills land in steps and checkpoint writes; the fifth falls anywhere in the reference
# run's time (startup, loading, the final evaluation). After the last kill its round is resumed to the end.
# A round passes when
#   * every attempt either was killed or exited 0 (a resume never fails),
#   * every checkpoint-N holds adapter_model.safetensors, optimizer.safetensors and trainer_state.json
#     byte-identical to the reference's, and the final adapter too,
#   * metrics.jsonl holds the same records as the reference's (timings aside): no step missing or written twice,
#   * no temporary file or folder ('.name.tmp-…', '.name.old-…') is left in the run folder.
#
# Usage: bench/kill-campaign.sh [--kills 50] [--steps 12] [--seed 1] [--work DIR] [--keep]
# Needs a Release build of the CLI (dotnet build cli -c Release) and jq.
set -euo pipefail

kills=50
steps=12
seed=1
work=""
keep=0
while [[ $# -gt 0 ]]; do
    case "$1" in
        --kills) kills="$2"; shift 2 ;;
        --steps) steps="$2"; shift 2 ;;
        --seed) seed="$2"; shift 2 ;;
        --work) work="$2"; shift 2 ;;
        --keep) keep=1; shift ;;
        *) echo "error: unknown argument '$1' (see the usage at the top of $0)" >&2; exit 2 ;;
    esac
done

root="$(cd "$(dirname "$0")/.." && pwd)"
cli_dll="$root/cli/bin/Release/net10.0/engine-cli.dll"
[[ -f "$cli_dll" ]] || { echo "error: $cli_dll is missing: run 'dotnet build cli -c Release' first" >&2; exit 2; }
if [[ -z "$work" ]]; then work="$(mktemp -d)"; fi
if [[ $keep -eq 0 ]]; then trap 'rm -rf "$work"' EXIT; fi
mkdir -p "$work"
cd "$work"
cli() { dotnet "$cli_dll" "$@"; }

cli init-tiny model --force > /dev/null
cli dataset synth --out data --train 8 --validation 2 --test 0 --size 32 --style humor --force > /dev/null
train=(simpo --weights model --data data/train.jsonl --eval-data data/validation.jsonl --max-steps "$steps"
       --batch-size 2 --lora-rank 2 --lora-dropout 0.1 --save-every 1 --max-caption-tokens 8 --quiet)

rm -rf reference run
started=$(date +%s%N)
cli "${train[@]}" --out reference > /dev/null
reference_ms=$(( ($(date +%s%N) - started) / 1000000 ))
first_ms=$(( $(stat -c '%.3Y' reference/checkpoint-1/trainer_state.json | tr -d .) - started / 1000000 ))
step_ms=$(( (reference_ms - first_ms) / steps + 1 ))
from_ms=$(( first_ms > step_ms ? first_ms - step_ms : 0 ))
echo "reference run: $steps steps in $reference_ms ms, first checkpoint at $first_ms ms, about $step_ms ms a step"

failures=0
fail() { failures=$((failures + 1)); echo "round $round: $*"; }

# Resumes the round's run to its end and compares it with the reference.
check_round() {
    local output
    if ! output=$(cli "${train[@]}" --out run --resume 2>&1 > /dev/null); then fail "the last resume failed: $output"; fi
    local before; before=$(wc -l < run/metrics.jsonl)
    if ! output=$(cli "${train[@]}" --out run --resume 2>&1 > /dev/null); then fail "resuming the finished run failed: $output"; fi
    (( $(wc -l < run/metrics.jsonl) == before )) || fail "resuming the finished run added metrics records"
    for ((step = 1; step <= steps; step++)); do
        for file in adapter_model.safetensors optimizer.safetensors trainer_state.json; do
            cmp -s "reference/checkpoint-$step/$file" "run/checkpoint-$step/$file" || fail "checkpoint-$step/$file differs from the reference"
        done
    done
    cmp -s reference/adapter_model.safetensors run/adapter_model.safetensors || fail "the final adapter differs from the reference"
    if ! diff <(records reference) <(records run) > metrics.diff; then
        fail "metrics.jsonl differs from the reference (timings aside):"; head -20 metrics.diff | sed 's/^/    /'
    fi
    local left; left=$(find run -name '.*')
    [[ -z "$left" ]] || fail "left behind: $left"
}
records() { jq -c 'del(.step_seconds, .tokens_per_second, .peak_memory_mb)' "$1/metrics.jsonl"; }

RANDOM=$seed
killed=0
finished=0
leftovers_seen=0
round=1
progress=""
rm -rf run
while (( killed < kills )); do
    draw=$(( RANDOM * 32768 + RANDOM ))
    if (( draw % 5 == 0 )); then delay_ms=$(( draw / 5 % (reference_ms + 1) ))
    else delay_ms=$(( from_ms + draw % (3 * step_ms + 1) )); fi
    # dotnet itself in the background (not through the function, whose subshell would take the kill instead)
    dotnet "$cli_dll" "${train[@]}" --out run --resume > attempt.out 2> attempt.err &
    pid=$!
    sleep "$(printf '%d.%03d' $((delay_ms / 1000)) $((delay_ms % 1000)))"
    kill -KILL "$pid" 2> /dev/null || true
    set +e; { wait "$pid"; } 2> /dev/null; code=$?; set -e
    latest=$(find run -maxdepth 1 -name 'checkpoint-*' -type d 2> /dev/null | sed 's/.*checkpoint-//' | sort -n | tail -1)
    leftovers_seen=$((leftovers_seen + $(find run -maxdepth 1 -name '.*' 2> /dev/null | wc -l)))
    case $code in
        137) killed=$((killed + 1)); progress+=" ${latest:-0}" ;;
        0) finished=$((finished + 1)); progress+=" done"
           echo "round $round:$progress"; check_round; rm -rf run; round=$((round + 1)); progress="" ;;
        *) fail "an attempt killed after $delay_ms ms exited $code:"; sed 's/^/    /' attempt.err ;;
    esac
done
if [[ -d run ]]; then echo "round $round:$progress (resumed to the end)"; check_round; fi
echo "$killed kills in $round rounds ($finished attempts finished their run before the kill); $leftovers_seen temporary entries found after kills (removed by the next start); failures: $failures"
[[ $failures -eq 0 ]]
