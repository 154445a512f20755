#!/usr/bin/env python3
"""Times PyTorch CPU matmul for the GEMM shapes the engine benchmarks and prints GFLOP/s.

Usage: torch_gemm.py [--threads 2] [--repeat 10] [--dtype f32|bf16] [--transpose-b] [--json] [--info] [M,N,K | N ...]
Without shapes it runs the square sizes 256..2048 and the projections of a 2048-wide decoder layer.
Each line (or JSON object) reports the best per-call time, like `engine-cli bench gemm`, and the throughput
per CPU-second of the process (cpu_gflops), which other load on the same cores skews much less.
With --dtype bf16 both operands and the result are bfloat16; PyTorch 1.13 hands that product to oneDNN
(DNNL_VERBOSE=1 prints the implementation, e.g. brg:avx512_core_bf16 on a CPU with AVX512_BF16).
With --transpose-b, B is stored N x K and used as its transpose, as a linear layer uses its weight.
"""
import argparse
import json
import time

import torch

SQUARE = [256, 512, 1024, 2048]
# [T=512 tokens] x 2048 hidden: q/o projections, MLP up/gate (2048 -> 11008) and down (11008 -> 2048).
DECODER = [(512, 2048, 2048), (512, 11008, 2048), (512, 2048, 11008)]


def parse_shape(text):
    parts = [int(p) for p in text.split(",")]
    if len(parts) == 1:
        return (parts[0],) * 3
    if len(parts) != 3:
        raise SystemExit(f"shape '{text}' must be N or M,N,K")
    return tuple(parts)


def blas_library():
    """The BLAS shared object actually mapped into this process (torch's build string just says 'generic')."""
    with open("/proc/self/maps") as maps:
        libs = {line.split()[-1] for line in maps if "blas" in line.lower()}
    return ", ".join(sorted(libs)) or "none mapped"


def time_matmul(m, n, k, repeat, dtype=torch.float32, transpose_b=False):
    a = (torch.rand(m, k) - 0.5).to(dtype)
    b = (torch.rand(n, k) - 0.5).to(dtype).t() if transpose_b else (torch.rand(k, n) - 0.5).to(dtype)
    c = torch.empty(m, n, dtype=dtype)
    torch.matmul(a, b, out=c)  # warm-up: thread pool start, page faults
    best = float("inf")
    cpu_start = time.process_time()
    for _ in range(repeat):
        start = time.perf_counter()
        torch.matmul(a, b, out=c)
        best = min(best, time.perf_counter() - start)
    cpu_seconds = (time.process_time() - cpu_start) / repeat
    flops = 2.0 * m * n * k
    # A product can finish inside one tick of the CPU-time clock; there is no rate to report then.
    return best, flops / best / 1e9, (flops / cpu_seconds / 1e9 if cpu_seconds > 0 else None)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("shapes", nargs="*", help="N (square) or M,N,K")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--dtype", choices=["f32", "bf16"], default="f32")
    parser.add_argument("--transpose-b", action="store_true", help="B stored N x K, used transposed")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--info", action="store_true", help="print torch version, threads and BLAS library, then exit")
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    if args.info:
        torch.matmul(torch.ones(64, 64), torch.ones(64, 64))  # loads the BLAS library lazily
        print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, BLAS: {blas_library()}")
        return
    shapes = [parse_shape(s) for s in args.shapes] or [(s, s, s) for s in SQUARE] + DECODER
    if not args.json:
        print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, BLAS: {blas_library()}")
    for m, n, k in shapes:
        dtype = torch.bfloat16 if args.dtype == "bf16" else torch.float32
        seconds, gflops, cpu_gflops = time_matmul(m, n, k, args.repeat, dtype, args.transpose_b)
        if args.json:
            print(json.dumps({"gflops": round(gflops, 3), "seconds": seconds,
                              "cpu_gflops": None if cpu_gflops is None else round(cpu_gflops, 3),
                              "m": m, "n": n, "k": k, "dtype": args.dtype, "transpose_b": args.transpose_b,
                              "device": "cpu"}))
        else:
            print(f"{m}x{n}x{k}: {gflops:8.2f} GFLOP/s  best {seconds * 1e3:.3f} ms  {cpu_gflops or float('nan'):8.2f} GFLOP per CPU-second")


if __name__ == "__main__":
    main()
