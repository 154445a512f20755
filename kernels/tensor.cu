// tensor.cu — the pointwise primitives the tensor backend needs beyond elementwise.cu, over dense inputs of n elements.
//   tensor_unary_fwd:  y[i] = f(x[i], alpha)               op codes TensorUnaryOp below = StyleAlign.Engine.Core.UnaryKind
//   tensor_unary_bwd:  dx[i] = dy[i] * f'(x[i], alpha)      same op codes
//   tensor_clamp:      y[i] = min(max(x[i], lo), hi)        NaN stays NaN
//   tensor_fill_bN:    y[i] = bits                           N-byte elements, any dtype (the host encodes the value)
//   tensor_copy_bN:    y[offset_y(i)] = x[offset_x(i)]       strided to strided (writes into views, gathers views)
//   tensor_cast_A_B:   y[i] = (B)x[i]                        f32/bf16 via fp32; integers exactly; to bool: x != 0
//                      (a bool source is its u8 storage: tensor_cast_u8_B)
// Storage f32 or bf16 for the float ops; all math in fp32, one rounding at the store. No accumulation, so
// bit-deterministic. Launch: grid-stride, block 256.
#include "common.cuh"

// Op codes — the values of UnaryKind in engine/Core/OpKinds.cs; a unit test reads this list and compares.
enum TensorUnaryOp
{
    T_NEG = 0, T_EXP = 1, T_LOG = 2, T_SQRT = 3, T_RSQRT = 4, T_TANH = 5, T_SIGMOID = 6, T_SILU = 7,
    T_GELU_ERF = 8, T_GELU_TANH = 9, T_QUICK_GELU = 10, T_RELU = 11, T_ABS = 12, T_POW = 13, T_SCALE = 14,
    T_ADD_SCALAR = 15, T_SQUARE = 16, T_SIN = 17, T_COS = 18
};

#define SA_SQRT_2_OVER_PI 0.79788456080286536f
#define SA_GELU_CUBIC 0.044715f
#define SA_INV_SQRT_2 0.70710678118654752f
#define SA_INV_SQRT_2PI 0.39894228040143268f

__device__ __forceinline__ float tensor_sigmoid(float x) { return 1.0f / (1.0f + expf(-x)); }

__device__ __forceinline__ float tensor_unary(int op, float x, float a)
{
    switch (op)
    {
        case T_NEG: return -x;
        case T_EXP: return expf(x);
        case T_LOG: return logf(x);
        case T_SQRT: return sqrtf(x);
        case T_RSQRT: return 1.0f / sqrtf(x);
        case T_TANH: return tanhf(x);
        case T_SIGMOID: return tensor_sigmoid(x);
        case T_SILU: return x * tensor_sigmoid(x);
        case T_GELU_ERF: return 0.5f * x * (1.0f + erff(x * SA_INV_SQRT_2));
        case T_GELU_TANH: return 0.5f * x * (1.0f + tanhf(SA_SQRT_2_OVER_PI * (x + SA_GELU_CUBIC * x * x * x)));
        case T_QUICK_GELU: return x * tensor_sigmoid(1.702f * x);
        case T_RELU: return x > 0.0f ? x : (x != x ? x : 0.0f);
        case T_ABS: return fabsf(x);
        case T_POW: return powf(x, a);
        case T_SCALE: return x * a;
        case T_ADD_SCALAR: return x + a;
        case T_SQUARE: return x * x;
        case T_SIN: return sinf(x);
        case T_COS: return cosf(x);
        default: return SA_NAN;
    }
}

// f'(x); the CPU backend's UnaryGradImpl is the reference for every formula.
__device__ __forceinline__ float tensor_unary_derivative(int op, float x, float a)
{
    switch (op)
    {
        case T_NEG: return -1.0f;
        case T_EXP: return expf(x);
        case T_LOG: return 1.0f / x;
        case T_SQRT: return 0.5f / sqrtf(x);
        case T_RSQRT: return -0.5f / (x * sqrtf(x));
        case T_TANH: { const float t = tanhf(x); return 1.0f - t * t; }
        case T_SIGMOID: { const float s = tensor_sigmoid(x); return s * (1.0f - s); }
        case T_SILU: { const float s = tensor_sigmoid(x); return s * (1.0f + x * (1.0f - s)); }
        case T_GELU_ERF: return 0.5f * (1.0f + erff(x * SA_INV_SQRT_2)) + x * SA_INV_SQRT_2PI * expf(-0.5f * x * x);
        case T_GELU_TANH:
        {
            const float t = tanhf(SA_SQRT_2_OVER_PI * (x + SA_GELU_CUBIC * x * x * x));
            return 0.5f * (1.0f + t) + 0.5f * x * (1.0f - t * t) * SA_SQRT_2_OVER_PI * (1.0f + 3.0f * SA_GELU_CUBIC * x * x);
        }
        case T_QUICK_GELU: { const float s = tensor_sigmoid(1.702f * x); return s + 1.702f * x * s * (1.0f - s); }
        case T_RELU: return x > 0.0f ? 1.0f : 0.0f;
        case T_ABS: return x > 0.0f ? 1.0f : (x < 0.0f ? -1.0f : 0.0f);
        case T_POW: return a * powf(x, a - 1.0f);
        case T_SCALE: return a;
        case T_ADD_SCALAR: return 1.0f;
        case T_SQUARE: return 2.0f * x;
        case T_SIN: return cosf(x);
        case T_COS: return -sinf(x);
        default: return SA_NAN;
    }
}

template <typename T>
__device__ void unary_forward(int op, i64 n, const T* x, T* y, float alpha)
{
    for (i64 i = global_thread_index(); i < n; i += grid_stride()) store_f(y + i, tensor_unary(op, load_f(x + i), alpha));
}

template <typename T>
__device__ void unary_backward(int op, i64 n, const T* x, const T* dy, T* dx, float alpha)
{
    for (i64 i = global_thread_index(); i < n; i += grid_stride())
        store_f(dx + i, load_f(dy + i) * tensor_unary_derivative(op, load_f(x + i), alpha));
}

template <typename T>
__device__ void clamp(i64 n, const T* x, T* y, float lo, float hi)
{
    for (i64 i = global_thread_index(); i < n; i += grid_stride())
    {
        const float v = load_f(x + i);
        store_f(y + i, v != v ? v : fminf(fmaxf(v, lo), hi));
    }
}

template <typename Word>
__device__ void fill(i64 n, Word* y, u64 bits)
{
    const Word value = (Word)bits;
    for (i64 i = global_thread_index(); i < n; i += grid_stride()) y[i] = value;
}

template <typename Word>
__device__ void copy_strided_to_strided(i64 n, const Word* x, StridedLayout xl, Word* y, StridedLayout yl)
{
    for (i64 i = global_thread_index(); i < n; i += grid_stride()) y[strided_offset(i, yl)] = x[strided_offset(i, xl)];
}

template <typename T> struct tensor_is_float { static constexpr bool value = false; };
template <> struct tensor_is_float<float> { static constexpr bool value = true; };
template <> struct tensor_is_float<bf16> { static constexpr bool value = true; };

__device__ __forceinline__ float cast_load(const float* p) { return *p; }
__device__ __forceinline__ float cast_load(const bf16* p) { return load_f(p); }

template <typename T> struct tensor_integer_limits;
template <> struct tensor_integer_limits<i32> { static constexpr i32 low = -2147483647 - 1, high = 2147483647; };
template <> struct tensor_integer_limits<i64> { static constexpr i64 low = -9223372036854775807ll - 1, high = 9223372036854775807ll; };
template <> struct tensor_integer_limits<u8> { static constexpr u8 low = 0, high = 255; };

// Float to integer: truncate toward zero, saturate at the type's limits, NaN becomes 0 — what the GPU's cvt.rzi does.
// Spelled out because C++ leaves the conversion of an out-of-range float undefined (x86 gives the type's minimum).
template <typename To>
__device__ __forceinline__ To float_to_integer(float v)
{
    if (v != v) return 0;
    if (v <= (float)tensor_integer_limits<To>::low) return tensor_integer_limits<To>::low;
    if (v >= (float)tensor_integer_limits<To>::high) return tensor_integer_limits<To>::high;
    return (To)v;
}

// Integer sources and destinations go through i64 so large values keep every bit; floats through fp32, truncating
// toward zero into integers (saturating, NaN becomes 0).
template <typename From, typename To>
__device__ void cast(i64 n, const From* x, To* y)
{
    for (i64 i = global_thread_index(); i < n; i += grid_stride())
    {
        if constexpr (tensor_is_float<From>::value && tensor_is_float<To>::value) store_f(y + i, cast_load(x + i));
        else if constexpr (tensor_is_float<From>::value) y[i] = float_to_integer<To>(cast_load(x + i));
        else if constexpr (tensor_is_float<To>::value) store_f(y + i, (float)(i64)x[i]);
        else y[i] = (To)(i64)x[i];
    }
}

// To bool (stored as u8): 1 where the value is non-zero (NaN counts as non-zero, as in torch).
template <typename From>
__device__ void cast_to_bool(i64 n, const From* x, u8* y)
{
    for (i64 i = global_thread_index(); i < n; i += grid_stride())
    {
        if constexpr (tensor_is_float<From>::value) y[i] = cast_load(x + i) != 0.0f ? 1 : 0;
        else y[i] = x[i] != 0 ? 1 : 0;
    }
}

// ---- instantiations -------------------------------------------------------------------------------
#define SA_TENSOR_FLOAT(T, NAME)                                                                                   \
    extern "C" __global__ void tensor_unary_fwd_##NAME(int op, i64 n, const T* x, T* y, float alpha)              \
    { unary_forward<T>(op, n, x, y, alpha); }                                                                      \
    extern "C" __global__ void tensor_unary_bwd_##NAME(int op, i64 n, const T* x, const T* dy, T* dx, float alpha) \
    { unary_backward<T>(op, n, x, dy, dx, alpha); }                                                                \
    extern "C" __global__ void tensor_clamp_##NAME(i64 n, const T* x, T* y, float lo, float hi)                   \
    { clamp<T>(n, x, y, lo, hi); }

SA_TENSOR_FLOAT(float, f32)
SA_TENSOR_FLOAT(bf16, bf16)

#define SA_TENSOR_WORD(WORD, BYTES)                                                                                \
    extern "C" __global__ void tensor_fill_b##BYTES(i64 n, WORD* y, u64 bits) { fill<WORD>(n, y, bits); }         \
    extern "C" __global__ void tensor_copy_b##BYTES(i64 n, const WORD* x, StridedLayout xl, WORD* y, StridedLayout yl) \
    { copy_strided_to_strided<WORD>(n, x, xl, y, yl); }

SA_TENSOR_WORD(u8, 1)
SA_TENSOR_WORD(u16, 2)
SA_TENSOR_WORD(u32, 4)
SA_TENSOR_WORD(u64, 8)

#define SA_TENSOR_CAST(FROM, FROM_NAME, TO, TO_NAME)                                                               \
    extern "C" __global__ void tensor_cast_##FROM_NAME##_##TO_NAME(i64 n, const FROM* x, TO* y) { cast<FROM, TO>(n, x, y); }
#define SA_TENSOR_CAST_TO_BOOL(FROM, FROM_NAME)                                                                    \
    extern "C" __global__ void tensor_cast_##FROM_NAME##_bool(i64 n, const FROM* x, u8* y) { cast_to_bool<FROM>(n, x, y); }
// Every pair of distinct types (a cast to the same type is a copy). A Bool source is read as its u8 storage, so
// u8 → u8 is the Bool → U8 cast.
#define SA_TENSOR_CAST_FROM(FROM, FROM_NAME, T1, N1, T2, N2, T3, N3, T4, N4)                                       \
    SA_TENSOR_CAST(FROM, FROM_NAME, T1, N1) SA_TENSOR_CAST(FROM, FROM_NAME, T2, N2)                                \
    SA_TENSOR_CAST(FROM, FROM_NAME, T3, N3) SA_TENSOR_CAST(FROM, FROM_NAME, T4, N4) SA_TENSOR_CAST_TO_BOOL(FROM, FROM_NAME)

SA_TENSOR_CAST_FROM(float, f32, bf16, bf16, i32, i32, i64, i64, u8, u8)
SA_TENSOR_CAST_FROM(bf16, bf16, float, f32, i32, i32, i64, i64, u8, u8)
SA_TENSOR_CAST_FROM(i32, i32, float, f32, bf16, bf16, i64, i64, u8, u8)
SA_TENSOR_CAST_FROM(i64, i64, float, f32, bf16, bf16, i32, i32, u8, u8)
SA_TENSOR_CAST_FROM(u8, u8, float, f32, bf16, bf16, i32, i32, i64, i64)
SA_TENSOR_CAST(u8, u8, u8, u8)
