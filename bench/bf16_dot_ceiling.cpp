// The per-core ceiling of two GEMM micro-kernels on packed panels that stay in cache: the engine's 12×32 float
// tile (one FMA per 16 products) against the same tile on bf16 pairs with AVX512_BF16's dot product (one
// vdpbf16ps per 32 products, f32 accumulation). .NET 10 exposes no bf16 dot-product intrinsic, so this C++
// stand-alone probe is how the second figure is measured; it is a tool, not part of the engine.
//
// Build and run (g++ 12 knows no -march for Zen 4/5; cooperlake enables the same AVX-512 BF16 instructions):
//     g++ -O2 -march=cooperlake -mprefer-vector-width=512 -o /tmp/bf16_dot_ceiling bench/bf16_dot_ceiling.cpp
//     /tmp/bf16_dot_ceiling [rounds] [calls per round]
// Prints GFLOP/s of each kernel per round (one thread) and the best round of each.
#include <immintrin.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {

constexpr int Rows = 12;
constexpr int Columns = 32;
constexpr int Depth = 512;

// C[12×32] += A[12×kc] · B[kc×32]; A packed 12 values per k, B 32 values per k.
void KernelF32(int kc, const float* a, const float* b, float* c, long ldc) {
  __m512 acc[Rows][2];
  for (auto& row : acc) row[0] = row[1] = _mm512_setzero_ps();
  for (int p = 0; p < kc; p++) {
    __m512 b0 = _mm512_load_ps(b), b1 = _mm512_load_ps(b + 16);
#pragma GCC unroll 12
    for (int i = 0; i < Rows; i++) {
      __m512 av = _mm512_set1_ps(a[i]);
      acc[i][0] = _mm512_fmadd_ps(av, b0, acc[i][0]);
      acc[i][1] = _mm512_fmadd_ps(av, b1, acc[i][1]);
    }
    a += Rows;
    b += Columns;
  }
  for (int i = 0; i < Rows; i++) {
    _mm512_storeu_ps(c + i * ldc, _mm512_add_ps(_mm512_loadu_ps(c + i * ldc), acc[i][0]));
    _mm512_storeu_ps(c + i * ldc + 16, _mm512_add_ps(_mm512_loadu_ps(c + i * ldc + 16), acc[i][1]));
  }
}

// The same tile over kc/2 k-pairs: A packed as 12 bf16 pairs (one 32-bit word each) per pair, B as 32 columns ×
// 2 k interleaved (64 bf16) per pair, so one vdpbf16ps adds a[k]·b[k] + a[k+1]·b[k+1] into each f32 lane.
void KernelBf16Dot(int pairs, const uint32_t* a, const uint16_t* b, float* c, long ldc) {
  __m512 acc[Rows][2];
  for (auto& row : acc) row[0] = row[1] = _mm512_setzero_ps();
  for (int p = 0; p < pairs; p++) {
    __m512bh b0 = (__m512bh)_mm512_load_si512(b), b1 = (__m512bh)_mm512_load_si512(b + 32);
#pragma GCC unroll 12
    for (int i = 0; i < Rows; i++) {
      __m512bh av = (__m512bh)_mm512_set1_epi32((int)a[i]);
      acc[i][0] = _mm512_dpbf16_ps(acc[i][0], av, b0);
      acc[i][1] = _mm512_dpbf16_ps(acc[i][1], av, b1);
    }
    a += Rows;
    b += 2 * Columns;
  }
  for (int i = 0; i < Rows; i++) {
    _mm512_storeu_ps(c + i * ldc, _mm512_add_ps(_mm512_loadu_ps(c + i * ldc), acc[i][0]));
    _mm512_storeu_ps(c + i * ldc + 16, _mm512_add_ps(_mm512_loadu_ps(c + i * ldc + 16), acc[i][1]));
  }
}

template <typename F>
double Seconds(F&& body) {
  auto start = std::chrono::steady_clock::now();
  body();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  const int rounds = argc > 1 ? std::atoi(argv[1]) : 5;
  const int calls = argc > 2 ? std::atoi(argv[2]) : 20000;
  if (rounds < 1 || calls < 1) {
    std::fprintf(stderr, "usage: bf16_dot_ceiling [rounds >= 1] [calls per round >= 1]\n");
    return 2;
  }
  auto* a = static_cast<float*>(std::aligned_alloc(64, Rows * Depth * sizeof(float)));
  auto* b = static_cast<float*>(std::aligned_alloc(64, Columns * Depth * sizeof(float)));
  auto* aPairs = static_cast<uint32_t*>(std::aligned_alloc(64, Rows * Depth / 2 * sizeof(uint32_t)));
  auto* bPairs = static_cast<uint16_t*>(std::aligned_alloc(64, Columns * Depth * sizeof(uint16_t)));
  auto* c = static_cast<float*>(std::aligned_alloc(64, Rows * Columns * sizeof(float)));
  for (int i = 0; i < Rows * Depth; i++) a[i] = (i % 7) * 0.01f;
  for (int i = 0; i < Columns * Depth; i++) b[i] = (i % 5) * 0.01f;
  for (int i = 0; i < Rows * Depth / 2; i++) aPairs[i] = 0x3C003C00u;  // the pair (2^-7, 2^-7)
  for (int i = 0; i < Columns * Depth; i++) bPairs[i] = 0x3C00;
  std::memset(c, 0, Rows * Columns * sizeof(float));

  const double flops = 2.0 * Rows * Columns * Depth * calls;
  double bestF32 = 0, bestDot = 0;
  for (int round = 0; round < rounds; round++) {
    double f32 = flops / Seconds([&] { for (int r = 0; r < calls; r++) KernelF32(Depth, a, b, c, Columns); }) / 1e9;
    double dot = flops / Seconds([&] { for (int r = 0; r < calls; r++) KernelBf16Dot(Depth / 2, aPairs, bPairs, c, Columns); }) / 1e9;
    bestF32 = f32 > bestF32 ? f32 : bestF32;
    bestDot = dot > bestDot ? dot : bestDot;
    std::printf("round %d: f32 FMA %.1f GFLOP/s, bf16 vdpbf16ps %.1f GFLOP/s\n", round, f32, dot);
  }
  std::printf("best: f32 FMA %.1f GFLOP/s, bf16 vdpbf16ps %.1f GFLOP/s, ratio %.2f (checksum %g)\n",
              bestF32, bestDot, bestDot / bestF32, c[5]);
  return 0;
}
