#!/usr/bin/env bash
# Installs Debian's NVRTC (non-free) so the KernelCompile tests can compile every kernel to CUBIN without a GPU.
set -euo pipefail
if ls /usr/lib/x86_64-linux-gnu/libnvrtc.so* >/dev/null 2>&1; then exit 0; fi
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
src=/etc/apt/sources.list.d/debian.sources
if [ -f "$src" ] && ! grep -q "non-free" "$src"; then
  $SUDO sed -i 's/^Components: main$/Components: main contrib non-free/' "$src"
fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq libnvrtc11.2 libnvrtc-builtins11.8 >/dev/null
