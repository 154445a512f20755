// dropout.cu — the dropout keep mask from a counter-based hash, so the mask is a pure function of (seed, index)
// and the CPU backend reproduces it exactly (dropout_uniform is SplitMix64.UniformAt, engine/Core/SplitMix64.cs).
//   z  = seed + (offset + i + 1) * 0x9E3779B97F4A7C15          (mod 2^64; i = element index)
//   z  = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
//   z  = (z ^ (z >> 27)) * 0x94D049BB133111EB
//   z  =  z ^ (z >> 31)                                         (the SplitMix64 output function)
//   u  = (z >> 11) * 2^-53                                      (53-bit uniform in [0, 1), exact in fp64)
//   keep[i] = u >= p (p in fp64), written as u8
// The CPU backend's DropoutMask (engine/Cpu/CpuBackend.Random.cs) computes the same u, so both devices draw one mask;
// the dropout op scales by the mask (and its backward reuses it). Pointwise. Launch: grid-stride, block 256.
#include "common.cuh"

__device__ __forceinline__ double dropout_uniform(u64 seed, u64 counter)
{
    u64 z = seed + (counter + 1ull) * 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z = z ^ (z >> 31);
    return (double)(z >> 11) * (1.0 / 9007199254740992.0);
}

// ---- instantiations -------------------------------------------------------------------------------
extern "C" __global__ void dropout_mask_u8(i64 n, u8* keep, u64 seed, u64 offset, double p)
{
    for (i64 i = global_thread_index(); i < n; i += grid_stride()) keep[i] = dropout_uniform(seed, offset + (u64)i) >= p;
}
