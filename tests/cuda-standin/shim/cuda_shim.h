// cuda_shim.h — what CUDA C++ gives a kernel, for g++ on the CPU. The NVRTC stand-in prepends this file to every
// program it compiles; kernels themselves are not changed, except that the few helpers holding inline PTX select a
// C++ body when SA_CUDA_STANDIN is defined.
//
// Built-ins (threadIdx …) come from the fiber's SaThreadState (sa_abi.h). Barriers, warp collectives, shared memory,
// atomics and the PTX stand-ins are calls into the driver stand-in through `sa_api`, which sa_module_init sets.
// Memory checks need no kernel edits: the module is compiled with -fsanitize=kernel-address (g++ then calls
// __asan_{load,store}N_noabort before every access) and -fsanitize=alignment; the handlers below forward both.
// No standard header is included, to keep each kernel compile small.
#pragma once
#define SA_CUDA_STANDIN 1

#include "sa_abi.h"

#define SA_INLINE inline __attribute__((always_inline))
#define SA_NO_CHECKS __attribute__((no_sanitize_address, no_sanitize("alignment"), noinline))
#define SA_SITE const char* sa_file = __builtin_FILE(), int sa_line = __builtin_LINE()

// ---- qualifiers ------------------------------------------------------------------------------------------------
// __global__ and __launch_bounds__ become markers the stand-in finds (and removes) after preprocessing;
// __shared__ declarations are rewritten there into per-block storage.
#define __global__ __sa_global_marker__
#define __launch_bounds__(...) __sa_launch_bounds__(__VA_ARGS__)
#define __shared__ __sa_shared_marker__
#define __device__
#define __host__
#define __constant__
#define __forceinline__ inline __attribute__((always_inline))
#define __noinline__ __attribute__((noinline))
#define __restrict__ __restrict
#define __align__(n) __attribute__((aligned(n)))

extern const SaRuntimeApi* sa_api __attribute__((visibility("hidden")));

// ---- built-in variables ----------------------------------------------------------------------------------------
typedef sa_uint3 uint3;
struct dim3
{
    unsigned x, y, z;
};

static SA_INLINE SaThreadState* sa_self()
{
    unsigned long sp;
    asm("mov %%rsp, %0" : "=r"(sp));
    return (SaThreadState*)(sp & ~(SA_FIBER_STACK_BYTES - 1));
}

#define threadIdx (sa_self()->threadIdx)
#define blockIdx (sa_self()->blockIdx)
#define blockDim (sa_self()->blockDim)
#define gridDim (sa_self()->gridDim)
#define warpSize 32

// ---- vector types (CUDA's sizes and alignments) --------------------------------------------------------------------
struct alignas(8) float2 { float x, y; };
struct alignas(16) float4 { float x, y, z, w; };
struct alignas(8) int2 { int x, y; };
struct alignas(16) int4 { int x, y, z, w; };
struct alignas(8) uint2 { unsigned x, y; };
struct alignas(16) uint4 { unsigned x, y, z, w; };
struct alignas(16) double2 { double x, y; };
struct alignas(16) longlong2 { long long x, y; };
struct alignas(4) ushort2 { unsigned short x, y; };
struct alignas(8) ushort4 { unsigned short x, y, z, w; };
SA_INLINE float2 make_float2(float x, float y) { return {x, y}; }
SA_INLINE float4 make_float4(float x, float y, float z, float w) { return {x, y, z, w}; }
SA_INLINE int2 make_int2(int x, int y) { return {x, y}; }
SA_INLINE int4 make_int4(int x, int y, int z, int w) { return {x, y, z, w}; }
SA_INLINE uint2 make_uint2(unsigned x, unsigned y) { return {x, y}; }
SA_INLINE uint4 make_uint4(unsigned x, unsigned y, unsigned z, unsigned w) { return {x, y, z, w}; }

// ---- math (glibc's libm; precision differs from the GPU's in the last bits) ------------------------------------
extern "C" {
float expf(float) noexcept; float exp2f(float) noexcept; float expm1f(float) noexcept; float logf(float) noexcept;
float log2f(float) noexcept; float log1pf(float) noexcept; float log10f(float) noexcept; float sqrtf(float) noexcept;
float cbrtf(float) noexcept; float powf(float, float) noexcept; float sinf(float) noexcept; float cosf(float) noexcept;
float tanf(float) noexcept; float tanhf(float) noexcept; float sinhf(float) noexcept; float coshf(float) noexcept;
float atanf(float) noexcept; float atan2f(float, float) noexcept; float asinf(float) noexcept; float acosf(float) noexcept;
float erff(float) noexcept; float erfcf(float) noexcept; float fabsf(float) noexcept; float fmaxf(float, float) noexcept;
float fminf(float, float) noexcept; float floorf(float) noexcept; float ceilf(float) noexcept; float roundf(float) noexcept;
float truncf(float) noexcept; float rintf(float) noexcept; float fmaf(float, float, float) noexcept;
float fmodf(float, float) noexcept; float copysignf(float, float) noexcept; float ldexpf(float, int) noexcept;
float lgammaf(float) noexcept;
double exp(double) noexcept; double exp2(double) noexcept; double log(double) noexcept; double log2(double) noexcept;
double sqrt(double) noexcept; double pow(double, double) noexcept; double sin(double) noexcept; double cos(double) noexcept;
double tanh(double) noexcept; double erf(double) noexcept; double fabs(double) noexcept; double fmax(double, double) noexcept;
double fmin(double, double) noexcept; double floor(double) noexcept; double ceil(double) noexcept; double fma(double, double, double) noexcept;
double log1p(double) noexcept; double expm1(double) noexcept;
}
SA_INLINE float rsqrtf(float x) { return 1.0f / sqrtf(x); }
SA_INLINE double rsqrt(double x) { return 1.0 / sqrt(x); }
SA_INLINE float __expf(float x) { return expf(x); }
SA_INLINE float __logf(float x) { return logf(x); }
SA_INLINE float __log2f(float x) { return log2f(x); }
SA_INLINE float __powf(float x, float y) { return powf(x, y); }
SA_INLINE float __sinf(float x) { return sinf(x); }
SA_INLINE float __cosf(float x) { return cosf(x); }
SA_INLINE float __tanhf(float x) { return tanhf(x); }
SA_INLINE float __fdividef(float x, float y) { return x / y; }
SA_INLINE float __frcp_rn(float x) { return 1.0f / x; }
SA_INLINE float __fsqrt_rn(float x) { return sqrtf(x); }
SA_INLINE float __saturatef(float x) { return x != x ? 0.0f : x < 0.0f ? 0.0f : x > 1.0f ? 1.0f : x; }
SA_INLINE bool isnan(float x) { return x != x; }
SA_INLINE bool isnan(double x) { return x != x; }
SA_INLINE bool isinf(float x) { return x == __builtin_inff() || x == -__builtin_inff(); }
SA_INLINE bool isinf(double x) { return x == __builtin_inf() || x == -__builtin_inf(); }
SA_INLINE bool isfinite(float x) { return !isnan(x) && !isinf(x); }
SA_INLINE bool isfinite(double x) { return !isnan(x) && !isinf(x); }
SA_INLINE int signbit(float x) { return __builtin_signbit(x); }

// CUDA's min/max: fminf/fmaxf for floating point, the C comparison for integers (any mix of widths).
SA_INLINE float min(float a, float b) { return fminf(a, b); }
SA_INLINE float max(float a, float b) { return fmaxf(a, b); }
SA_INLINE double min(double a, double b) { return fmin(a, b); }
SA_INLINE double max(double a, double b) { return fmax(a, b); }
template <class A, class B> SA_INLINE auto min(A a, B b) { return b < a ? b : a; }
template <class A, class B> SA_INLINE auto max(A a, B b) { return a < b ? b : a; }

// ---- bit casts ------------------------------------------------------------------------------------------------
template <class To, class From> SA_INLINE To sa_bits(From from)
{
    static_assert(sizeof(To) == sizeof(From), "bit cast between types of one size");
    To to;
    __builtin_memcpy(&to, &from, sizeof(To));
    return to;
}
SA_INLINE float __int_as_float(int x) { return sa_bits<float>(x); }
SA_INLINE float __uint_as_float(unsigned x) { return sa_bits<float>(x); }
SA_INLINE int __float_as_int(float x) { return sa_bits<int>(x); }
SA_INLINE unsigned __float_as_uint(float x) { return sa_bits<unsigned>(x); }
SA_INLINE double __longlong_as_double(long long x) { return sa_bits<double>(x); }
SA_INLINE long long __double_as_longlong(double x) { return sa_bits<long long>(x); }
SA_INLINE int __popc(unsigned x) { return __builtin_popcount(x); }
SA_INLINE int __popcll(unsigned long long x) { return __builtin_popcountll(x); }
SA_INLINE int __clz(int x) { return x == 0 ? 32 : __builtin_clz((unsigned)x); }
SA_INLINE int __ffs(int x) { return __builtin_ffs(x); }
SA_INLINE unsigned __brev(unsigned x)
{
    unsigned r = 0;
    for (int i = 0; i < 32; ++i) r |= ((x >> i) & 1u) << (31 - i);
    return r;
}

// ---- barriers and warp collectives ------------------------------------------------------------------------------
#define SA_FULL_WARP 0xffffffffu
#define __syncthreads() (sa_api->syncthreads(__FILE__, __LINE__))
SA_INLINE void __syncwarp(unsigned mask = SA_FULL_WARP, SA_SITE) { sa_api->syncwarp(mask, sa_file, sa_line); }
SA_INLINE void __threadfence() {}
SA_INLINE void __threadfence_block() {}
SA_INLINE void __threadfence_system() {}
SA_INLINE long long clock64() { return sa_api->clock(); }
SA_INLINE unsigned __ballot_sync(unsigned mask, int predicate, SA_SITE) { return sa_api->vote(SA_VOTE_BALLOT, mask, predicate, sa_file, sa_line); }
SA_INLINE int __any_sync(unsigned mask, int predicate, SA_SITE) { return (int)sa_api->vote(SA_VOTE_ANY, mask, predicate, sa_file, sa_line); }
SA_INLINE int __all_sync(unsigned mask, int predicate, SA_SITE) { return (int)sa_api->vote(SA_VOTE_ALL, mask, predicate, sa_file, sa_line); }
SA_INLINE void __trap(SA_SITE) { sa_api->trap("__trap()", sa_file, sa_line); }

template <class T> SA_INLINE T sa_shuffle(int mode, unsigned mask, T value, int argument, int width, const char* file, int line)
{
    static_assert(sizeof(T) == 4 || sizeof(T) == 8, "shuffles move 4- or 8-byte values");
    T result;
    sa_api->shuffle(mode, mask, &value, &result, (int)sizeof(T), argument, width, file, line);
    return result;
}
template <class T> SA_INLINE T __shfl_sync(unsigned mask, T v, int lane, int width = 32, SA_SITE) { return sa_shuffle(SA_SHFL_IDX, mask, v, lane, width, sa_file, sa_line); }
template <class T> SA_INLINE T __shfl_up_sync(unsigned mask, T v, unsigned delta, int width = 32, SA_SITE) { return sa_shuffle(SA_SHFL_UP, mask, v, (int)delta, width, sa_file, sa_line); }
template <class T> SA_INLINE T __shfl_down_sync(unsigned mask, T v, unsigned delta, int width = 32, SA_SITE) { return sa_shuffle(SA_SHFL_DOWN, mask, v, (int)delta, width, sa_file, sa_line); }
template <class T> SA_INLINE T __shfl_xor_sync(unsigned mask, T v, int lane_mask, int width = 32, SA_SITE) { return sa_shuffle(SA_SHFL_XOR, mask, v, lane_mask, width, sa_file, sa_line); }

// ---- atomics (performed by the runtime: checked for bounds, never counted as a shared-memory race) --------------
template <class T> SA_INLINE unsigned long long sa_widen(T v)
{
    unsigned long long w = 0;
    __builtin_memcpy(&w, &v, sizeof(T));
    return w;
}
template <class T> SA_INLINE T sa_narrow(unsigned long long w)
{
    T v;
    __builtin_memcpy(&v, &w, sizeof(T));
    return v;
}
template <class T> SA_INLINE T sa_atomic(int op, T* p, T operand, T compare, const char* file, int line)
{
    return sa_narrow<T>(sa_api->atomic(op, (void*)p, sa_widen(operand), sa_widen(compare), file, line));
}
SA_INLINE int atomicAdd(int* p, int v, SA_SITE) { return sa_atomic(SA_ATOMIC_ADD_I32, p, v, 0, sa_file, sa_line); }
SA_INLINE unsigned atomicAdd(unsigned* p, unsigned v, SA_SITE) { return sa_atomic(SA_ATOMIC_ADD_U32, p, v, 0u, sa_file, sa_line); }
SA_INLINE unsigned long long atomicAdd(unsigned long long* p, unsigned long long v, SA_SITE) { return sa_atomic(SA_ATOMIC_ADD_U64, p, v, 0ull, sa_file, sa_line); }
SA_INLINE float atomicAdd(float* p, float v, SA_SITE) { return sa_atomic(SA_ATOMIC_ADD_F32, p, v, 0.0f, sa_file, sa_line); }
SA_INLINE double atomicAdd(double* p, double v, SA_SITE) { return sa_atomic(SA_ATOMIC_ADD_F64, p, v, 0.0, sa_file, sa_line); }
SA_INLINE int atomicMax(int* p, int v, SA_SITE) { return sa_atomic(SA_ATOMIC_MAX_I32, p, v, 0, sa_file, sa_line); }
SA_INLINE int atomicMin(int* p, int v, SA_SITE) { return sa_atomic(SA_ATOMIC_MIN_I32, p, v, 0, sa_file, sa_line); }
SA_INLINE unsigned atomicMax(unsigned* p, unsigned v, SA_SITE) { return sa_atomic(SA_ATOMIC_MAX_U32, p, v, 0u, sa_file, sa_line); }
SA_INLINE unsigned atomicMin(unsigned* p, unsigned v, SA_SITE) { return sa_atomic(SA_ATOMIC_MIN_U32, p, v, 0u, sa_file, sa_line); }
SA_INLINE int atomicExch(int* p, int v, SA_SITE) { return sa_atomic(SA_ATOMIC_EXCH_32, p, v, 0, sa_file, sa_line); }
SA_INLINE unsigned atomicExch(unsigned* p, unsigned v, SA_SITE) { return sa_atomic(SA_ATOMIC_EXCH_32, p, v, 0u, sa_file, sa_line); }
SA_INLINE float atomicExch(float* p, float v, SA_SITE) { return sa_atomic(SA_ATOMIC_EXCH_32, p, v, 0.0f, sa_file, sa_line); }
SA_INLINE unsigned long long atomicExch(unsigned long long* p, unsigned long long v, SA_SITE) { return sa_atomic(SA_ATOMIC_EXCH_64, p, v, 0ull, sa_file, sa_line); }
SA_INLINE int atomicCAS(int* p, int compare, int v, SA_SITE) { return sa_atomic(SA_ATOMIC_CAS_32, p, v, compare, sa_file, sa_line); }
SA_INLINE unsigned atomicCAS(unsigned* p, unsigned compare, unsigned v, SA_SITE) { return sa_atomic(SA_ATOMIC_CAS_32, p, v, compare, sa_file, sa_line); }
SA_INLINE unsigned long long atomicCAS(unsigned long long* p, unsigned long long compare, unsigned long long v, SA_SITE) { return sa_atomic(SA_ATOMIC_CAS_64, p, v, compare, sa_file, sa_line); }
SA_INLINE int atomicAnd(int* p, int v, SA_SITE) { return sa_atomic(SA_ATOMIC_AND_32, p, v, 0, sa_file, sa_line); }
SA_INLINE int atomicOr(int* p, int v, SA_SITE) { return sa_atomic(SA_ATOMIC_OR_32, p, v, 0, sa_file, sa_line); }
SA_INLINE int atomicXor(int* p, int v, SA_SITE) { return sa_atomic(SA_ATOMIC_XOR_32, p, v, 0, sa_file, sa_line); }
SA_INLINE unsigned atomicAnd(unsigned* p, unsigned v, SA_SITE) { return sa_atomic(SA_ATOMIC_AND_32, p, v, 0u, sa_file, sa_line); }
SA_INLINE unsigned atomicOr(unsigned* p, unsigned v, SA_SITE) { return sa_atomic(SA_ATOMIC_OR_32, p, v, 0u, sa_file, sa_line); }
SA_INLINE unsigned atomicXor(unsigned* p, unsigned v, SA_SITE) { return sa_atomic(SA_ATOMIC_XOR_32, p, v, 0u, sa_file, sa_line); }

// ---- stand-ins for the PTX instructions the kernels' helpers use ---------------------------------------------------
// Conversions follow the PTX ISA: .rn is round to nearest even; a NaN becomes the canonical NaN of the target.
SA_INLINE float sa_ptx_mov_b32_f32(unsigned bits) { return __uint_as_float(bits); }

SA_INLINE unsigned short sa_ptx_cvt_rn_bf16_f32(float value)
{
    const unsigned bits = __float_as_uint(value);
    if ((bits & 0x7fffffffu) > 0x7f800000u) return 0x7fffu;
    return (unsigned short)((bits + 0x7fffu + ((bits >> 16) & 1u)) >> 16);
}

// cvt.rn.bf16x2.f32 d, a, b: a lands in the upper half, b in the lower.
SA_INLINE unsigned sa_ptx_cvt_rn_bf16x2_f32(float upper, float lower)
{
    return ((unsigned)sa_ptx_cvt_rn_bf16_f32(upper) << 16) | sa_ptx_cvt_rn_bf16_f32(lower);
}

SA_INLINE float sa_ptx_cvt_f32_f16(unsigned short h)
{
    const unsigned sign = (unsigned)(h & 0x8000u) << 16;
    const unsigned exponent = (h >> 10) & 0x1fu;
    unsigned mantissa = h & 0x3ffu;
    if (exponent == 0x1fu) return __uint_as_float(sign | 0x7f800000u | (mantissa << 13)); // inf / NaN (payload kept)
    if (exponent != 0) return __uint_as_float(sign | ((exponent + 112u) << 23) | (mantissa << 13));
    if (mantissa == 0) return __uint_as_float(sign);
    // Subnormal half: exact in fp32.
    const float magnitude = (float)mantissa * 5.9604644775390625e-8f; // 2^-24
    return sign ? -magnitude : magnitude;
}

SA_INLINE unsigned short sa_ptx_cvt_rn_f16_f32(float value)
{
    const unsigned bits = __float_as_uint(value);
    const unsigned short sign = (unsigned short)((bits >> 16) & 0x8000u);
    const unsigned magnitude = bits & 0x7fffffffu;
    if (magnitude > 0x7f800000u) return 0x7fffu;                 // NaN → canonical NaN
    if (magnitude >= 0x477ff000u) return (unsigned short)(sign | 0x7c00u); // rounds past 65504 → inf
    if (magnitude >= 0x38800000u)                                 // normal half
    {
        const unsigned rounded = magnitude + 0xfffu + ((magnitude >> 13) & 1u);
        return (unsigned short)(sign | ((rounded - 0x38000000u) >> 13));
    }
    // Subnormal half (or zero): scale to units of 2^-24 and round to nearest even.
    const float scaled = __uint_as_float(magnitude) * 16777216.0f;
    float whole = (float)(unsigned)scaled;
    const float fraction = scaled - whole;
    if (fraction > 0.5f || (fraction == 0.5f && ((unsigned)whole & 1u))) whole += 1.0f;
    return (unsigned short)(sign | (unsigned)whole);
}

// max.f32: NaN only when both are NaN; +0 is larger than -0.
SA_INLINE float sa_ptx_max_f32(float a, float b)
{
    if (a != a) return b != b ? __uint_as_float(0x7fffffffu) : b;
    if (b != b) return a;
    if (a == 0.0f && b == 0.0f) return __builtin_signbit(a) ? b : a;
    return a > b ? a : b;
}

// ex2.approx.ftz.f32 / lg2.approx.ftz.f32: subnormal inputs and results are flushed to zero.
SA_INLINE float sa_ftz(float x) { return (__float_as_uint(x) & 0x7f800000u) == 0 ? __uint_as_float(__float_as_uint(x) & 0x80000000u) : x; }
SA_INLINE float sa_ptx_ex2_approx_ftz(float x) { return sa_ftz(exp2f(sa_ftz(x))); }
SA_INLINE float sa_ptx_lg2_approx_ftz(float x) { return log2f(sa_ftz(x)); }

// shfl.sync.bfly.b32 d, a, lane_mask, c, member_mask: c holds the segment mask in bits 8..12 (0 = the whole warp).
SA_INLINE float sa_ptx_shfl_sync_bfly(float x, int lane_mask, int c, unsigned member_mask, SA_SITE)
{
    return sa_shuffle(SA_SHFL_XOR, member_mask, x, lane_mask, 32 - ((c >> 8) & 0x1f), sa_file, sa_line);
}

SA_INLINE unsigned sa_ptx_cvta_to_shared(const void* p, SA_SITE) { return sa_api->cvta_to_shared(p, sa_file, sa_line); }

SA_INLINE void sa_ptx_cp_async_cg_16(void* shared, const void* global, int source_bytes, SA_SITE)
{
    sa_api->cp_async(shared, global, 16, source_bytes, sa_file, sa_line);
}
SA_INLINE void sa_ptx_cp_async_commit_group() { sa_api->cp_async_commit(); }
SA_INLINE void sa_ptx_cp_async_wait_group(int pending, SA_SITE) { sa_api->cp_async_wait(pending, sa_file, sa_line); }

// ldmatrix.sync.aligned.m8n8.{x1,x2,x4}[.trans].shared.b16: this lane's row address; `result` gets one register per matrix.
SA_INLINE void sa_ptx_ldmatrix(unsigned* result, int matrices, bool transpose, const void* row_address, SA_SITE)
{
    sa_api->ldmatrix(result, matrices, transpose ? 1 : 0, row_address, sa_file, sa_line);
}

// mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 with C = D (c is read and written).
SA_INLINE void sa_ptx_mma_m16n8k16_bf16_f32(float* c, const unsigned* a, unsigned b0, unsigned b1, SA_SITE)
{
    sa_api->mma_m16n8k16_bf16(c, a, b0, b1, sa_file, sa_line);
}

// ---- shared memory ---------------------------------------------------------------------------------------------
// `__shared__ T x[N];` becomes `T (&x)[N] = sa_shared_variable<T[N]>(site, alignment);` (one site per declaration);
// `extern __shared__ T x[];` becomes `T* const x = sa_shared_dynamic<T>(alignment);`.
template <class T> SA_INLINE T& sa_shared_variable(int site, unsigned long requested_alignment)
{
    const unsigned long alignment = requested_alignment > alignof(T) ? requested_alignment : alignof(T);
    return *static_cast<T*>(sa_api->shared_static(site, sizeof(T), alignment));
}
template <class T> SA_INLINE T* sa_shared_dynamic(unsigned long requested_alignment)
{
    return static_cast<T*>(sa_api->shared_dynamic(requested_alignment > alignof(T) ? requested_alignment : alignof(T)));
}

// ---- checks the compiler inserts ---------------------------------------------------------------------------------
extern "C" {
// Static initializers run when the module is loaded, before sa_module_init has set sa_api: nothing to check then.
#define SA_ACCESS(KIND, N, WRITE) \
    SA_NO_CHECKS void __asan_##KIND##N##_noabort(unsigned long a) { if (sa_api) sa_api->access(a, N, WRITE); }
SA_ACCESS(load, 1, 0) SA_ACCESS(load, 2, 0) SA_ACCESS(load, 4, 0) SA_ACCESS(load, 8, 0) SA_ACCESS(load, 16, 0)
SA_ACCESS(store, 1, 1) SA_ACCESS(store, 2, 1) SA_ACCESS(store, 4, 1) SA_ACCESS(store, 8, 1) SA_ACCESS(store, 16, 1)
#undef SA_ACCESS
SA_NO_CHECKS void __asan_loadN_noabort(unsigned long a, unsigned long n) { if (sa_api) sa_api->access(a, n, 0); }
SA_NO_CHECKS void __asan_storeN_noabort(unsigned long a, unsigned long n) { if (sa_api) sa_api->access(a, n, 1); }
SA_NO_CHECKS void __asan_handle_no_return() {}
SA_NO_CHECKS void __asan_before_dynamic_init(const char*) {}
SA_NO_CHECKS void __asan_after_dynamic_init() {}
SA_NO_CHECKS void __ubsan_handle_type_mismatch_v1(void* data, unsigned long pointer) { if (sa_api) sa_api->misaligned(data, pointer); }
}

// ---- the registration block's helpers -------------------------------------------------------------------------------
namespace sa
{
template <unsigned... I> struct indices {};
template <unsigned N, unsigned... I> struct make_indices : make_indices<N - 1, N - 1, I...> {};
template <unsigned... I> struct make_indices<0, I...> { using type = indices<I...>; };

template <class... A> struct signature
{
    static constexpr unsigned sizes[sizeof...(A) + 1] = {(unsigned)sizeof(A)..., 0u};
    static constexpr unsigned alignments[sizeof...(A) + 1] = {(unsigned)alignof(A)..., 0u};

    template <unsigned... I>
    SA_NO_CHECKS static void call(void (*f)(A...), void* const* arguments, indices<I...>)
    {
        f(*static_cast<A*>(arguments[I])...);
    }

    // Each parameter was copied by the runtime into storage of its own size and alignment.
    SA_NO_CHECKS static void invoke(void* function, void* const* arguments)
    {
        call(reinterpret_cast<void (*)(A...)>(function), arguments, typename make_indices<sizeof...(A)>::type{});
    }

    static const char* text() { return __PRETTY_FUNCTION__; }
};

template <class... A> inline SaKernelEntry entry(const char* name, void (*f)(A...), unsigned max_threads)
{
    return SaKernelEntry{name, reinterpret_cast<void*>(f), &signature<A...>::invoke, (unsigned)sizeof...(A),
                         signature<A...>::sizes, signature<A...>::alignments, signature<A...>::text(), max_threads};
}
} // namespace sa
