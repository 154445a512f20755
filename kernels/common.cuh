// common.cuh — shared device helpers for every kernel family.
// NVRTC here ships no CUDA headers, so this file defines what the kernels need itself:
//   * fixed-width integer names,
//   * bf16 / f16 storage types with fp32 conversion (round-to-nearest-even, NaN preserved),
//   * +-infinity and NaN constants,
//   * warp and block reductions built on __shfl_xor_sync (fixed order, hence deterministic),
//   * grid-stride loop helpers.
// Storage types are plain 16-bit structs: all math is done in fp32 after load_f and rounded once in store_f.
#pragma once

typedef long long i64;
typedef unsigned long long u64;
typedef int i32;
typedef unsigned int u32;
typedef unsigned short u16;
typedef unsigned char u8;

struct alignas(2) bf16 { u16 bits; };
struct alignas(2) f16 { u16 bits; };

#define SA_INFINITY __int_as_float(0x7f800000)
#define SA_NEG_INFINITY __int_as_float(0xff800000)
#define SA_NAN __int_as_float(0x7fc00000)
#define SA_FULL_MASK 0xffffffffu
#define SA_MAX_DIMS 8

__device__ __forceinline__ float bf16_to_f32(u16 bits) { return __uint_as_float(((u32)bits) << 16); }

__device__ __forceinline__ u16 f32_to_bf16(float value)
{
    u32 bits = __float_as_uint(value);
    if ((bits & 0x7fffffffu) > 0x7f800000u) return (u16)((bits >> 16) | 0x0040u); // quiet NaN
    u32 rounding = 0x7fffu + ((bits >> 16) & 1u);                                   // ties to even
    return (u16)((bits + rounding) >> 16);
}

// The PTX in these helpers has a C++ twin for the CPU stand-in of the CUDA stack (tests/cuda-standin), selected by
// SA_CUDA_STANDIN, which only that stand-in defines.
__device__ __forceinline__ float f16_to_f32(u16 bits)
{
#ifdef SA_CUDA_STANDIN
    return sa_ptx_cvt_f32_f16(bits);
#else
    float result;
    asm("cvt.f32.f16 %0, %1;" : "=f"(result) : "h"(bits));
    return result;
#endif
}

__device__ __forceinline__ u16 f32_to_f16(float value)
{
#ifdef SA_CUDA_STANDIN
    return sa_ptx_cvt_rn_f16_f32(value);
#else
    u16 result;
    asm("cvt.rn.f16.f32 %0, %1;" : "=h"(result) : "f"(value));
    return result;
#endif
}

// load_f / store_f: every storage type read as fp32 and written back with one rounding.
__device__ __forceinline__ float load_f(const float* p) { return *p; }
__device__ __forceinline__ float load_f(const bf16* p) { return bf16_to_f32(p->bits); }
__device__ __forceinline__ float load_f(const f16* p) { return f16_to_f32(p->bits); }
__device__ __forceinline__ float load_f(const i32* p) { return (float)*p; }
__device__ __forceinline__ float load_f(const i64* p) { return (float)*p; }
__device__ __forceinline__ void store_f(float* p, float v) { *p = v; }
__device__ __forceinline__ void store_f(bf16* p, float v) { p->bits = f32_to_bf16(v); }
__device__ __forceinline__ void store_f(f16* p, float v) { p->bits = f32_to_f16(v); }
// Float to integer truncates toward zero, as a C cast does (NaN becomes 0).
__device__ __forceinline__ void store_f(i32* p, float v) { *p = v != v ? 0 : (i32)v; }
__device__ __forceinline__ void store_f(i64* p, float v) { *p = v != v ? 0 : (i64)v; }

// Rounds an fp32 value to what the storage type T can hold (identity for float): used where the
// Hugging Face reference rounds an intermediate to the activation dtype.
template <typename T> __device__ __forceinline__ float round_to(float v) { T t; store_f(&t, v); return load_f(&t); }

// 16-byte vector load of 4 floats (the pointer must be 16-byte aligned).
struct alignas(16) float4_t { float x, y, z, w; };
__device__ __forceinline__ float4_t load4(const float* p) { return *reinterpret_cast<const float4_t*>(p); }

__device__ __forceinline__ float warp_sum(float v)
{
    for (int offset = 16; offset > 0; offset >>= 1) v += __shfl_xor_sync(SA_FULL_MASK, v, offset);
    return v;
}

__device__ __forceinline__ float warp_max(float v)
{
    for (int offset = 16; offset > 0; offset >>= 1) v = fmaxf(v, __shfl_xor_sync(SA_FULL_MASK, v, offset));
    return v;
}

// Block-wide reductions; blockDim.x must be a multiple of 32 and at most 1024. Every thread gets the result.
// `scratch` is 32 floats of shared memory; the function synchronises before reusing it.
__device__ __forceinline__ float block_sum(float v, float* scratch)
{
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
    v = warp_sum(v);
    __syncthreads();
    if (lane == 0) scratch[warp] = v;
    __syncthreads();
    v = lane < warps ? scratch[lane] : 0.0f;
    return warp_sum(v);
}

__device__ __forceinline__ float block_max(float v, float* scratch)
{
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
    v = warp_max(v);
    __syncthreads();
    if (lane == 0) scratch[warp] = v;
    __syncthreads();
    v = lane < warps ? scratch[lane] : SA_NEG_INFINITY;
    return warp_max(v);
}

// Strided view of up to 8 dims, passed to kernels by value. Element offsets, not bytes.
struct StridedLayout
{
    i32 rank;
    i32 pad;
    i64 shape[SA_MAX_DIMS];
    i64 strides[SA_MAX_DIMS];
};

// Offset of the linear (row-major) index `linear` inside the strided layout.
__device__ __forceinline__ i64 strided_offset(i64 linear, const StridedLayout& layout)
{
    i64 offset = 0;
    for (int d = layout.rank - 1; d >= 0; --d)
    {
        const i64 extent = layout.shape[d];
        const i64 coordinate = linear % extent;
        linear /= extent;
        offset += coordinate * layout.strides[d];
    }
    return offset;
}

__device__ __forceinline__ i64 global_thread_index() { return (i64)blockIdx.x * blockDim.x + threadIdx.x; }
__device__ __forceinline__ i64 grid_stride() { return (i64)gridDim.x * blockDim.x; }
