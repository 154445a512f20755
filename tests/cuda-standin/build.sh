#!/usr/bin/env bash
# Builds the CPU stand-in for the CUDA driver, NVRTC and cuBLAS and prints, on stdout and nothing else, the three
# lines that select it:
#   eval "$(bash tests/cuda-standin/build.sh)"
# after which any engine-cli verb or test runs its CUDA path on the stand-in. Progress goes to stderr. Installs g++
# when it is missing; a second run with unchanged sources only prints the lines.
# Output: $STYLEALIGN_STANDIN_BUILD, default tests/cuda-standin/build/ (kernel compiles are cached in kernel-cache/ there).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${STYLEALIGN_STANDIN_BUILD:-$here/build}"
say() { echo "cuda-standin: $*" >&2; }

if ! command -v g++ >/dev/null 2>&1; then
  say "g++ not found; installing it with apt-get"
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq g++; } >&2
fi

mkdir -p "$out"
sources=("$here"/shim/*.h "$here"/driver/* "$here"/nvrtc/* "$here"/cublas/* "$here/build.sh")
stamp="$( { g++ -dumpfullversion; cat "${sources[@]}"; } | sha256sum | cut -d' ' -f1)"
driver="$out/libcuda-standin.so" nvrtc="$out/libnvrtc-standin.so" cublas="$out/libcublas-standin.so"

if [ -f "$out/.stamp" ] && [ "$(cat "$out/.stamp")" = "$stamp" ] && [ -f "$driver" ] && [ -f "$nvrtc" ] && [ -f "$cublas" ]; then
  say "up to date in $out"
else
  say "building the driver, NVRTC and cuBLAS stand-ins in $out"
  started=$SECONDS
  flags=(-std=c++17 -O2 -g -fPIC -shared -fvisibility=hidden -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers)
  g++ "${flags[@]}" -Wl,-soname,libcuda-standin.so -o "$driver.tmp" "$here"/driver/*.cpp "$here/driver/switch.S" -ldl -lpthread &
  driver_job=$!
  g++ "${flags[@]}" -DSA_STANDIN_BUILD_ID="\"$stamp\"" -Wa,-I"$here/shim" -o "$nvrtc.tmp" "$here"/nvrtc/*.cpp "$here/nvrtc/embed.S" -ldl &
  nvrtc_job=$!
  wait "$driver_job"
  mv "$driver.tmp" "$driver"
  g++ "${flags[@]}" -o "$cublas.tmp" "$here"/cublas/*.cpp -L"$out" -l:libcuda-standin.so -Wl,-rpath,'$ORIGIN'
  mv "$cublas.tmp" "$cublas"
  wait "$nvrtc_job"
  mv "$nvrtc.tmp" "$nvrtc"
  echo "$stamp" > "$out/.stamp"
  say "built in $((SECONDS - started)) s"
fi

printf 'export STYLEALIGN_LIBCUDA=%q\n' "$driver"
printf 'export STYLEALIGN_LIBNVRTC=%q\n' "$nvrtc"
printf 'export STYLEALIGN_LIBCUBLAS=%q STYLEALIGN_LIBCUBLASLT=%q\n' "$cublas" "$cublas"
