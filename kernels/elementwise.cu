// elementwise.cu — pointwise ops over tensors of n elements.
//   unary:   y[i] = f(x[i], scalar)            op codes UnaryOp below (scalar used by pow_scalar/add_scalar/mul_scalar)
//   binary:  y[i] = g(a[i], b[i])              op codes BinaryOp below
//   compare: y[i] = (a[i] <op> b[i]) ? 1 : 0   y is u8, op codes CompareOp below
//   where:   y[i] = cond[i] ? a[i] : b[i]      cond is u8
//   cast:    y[i] = (To)x[i]                    f32/bf16/f16 via fp32; ints truncate toward zero
//   copy_strided_bN: y[i] = x[offset(i)]       gathers any strided view (N-byte elements) into a contiguous y
// Two layouts per op: contiguous (all operands dense, same n) and strided (output dense row-major over
// `out_shape`; each input described by a StridedLayout of up to 8 dims, broadcast dims have stride 0).
// Storage f32 or bf16; all math in fp32, one rounding at the store. No accumulation, so bit-deterministic.
#include "common.cuh"

// Op codes — mirrored by StyleAlign.Engine.Cuda.ElementwiseOps; keep the two lists in step.
enum UnaryOp
{
    U_NEG = 0, U_EXP = 1, U_LOG = 2, U_SQRT = 3, U_RSQRT = 4, U_TANH = 5, U_SIGMOID = 6, U_SILU = 7,
    U_GELU_ERF = 8, U_GELU_TANH = 9, U_QUICK_GELU = 10, U_RELU = 11, U_ABS = 12, U_POW_SCALAR = 13,
    U_ADD_SCALAR = 14, U_MUL_SCALAR = 15, U_RECIPROCAL = 16, U_SQUARE = 17
};
enum BinaryOp { B_ADD = 0, B_SUB = 1, B_MUL = 2, B_DIV = 3, B_MAXIMUM = 4, B_MINIMUM = 5, B_POW = 6 };
enum CompareOp { C_EQ = 0, C_NE = 1, C_LT = 2, C_LE = 3, C_GT = 4, C_GE = 5 };

__device__ __forceinline__ float sigmoid_f(float x) { return 1.0f / (1.0f + expf(-x)); }

__device__ __forceinline__ float apply_unary(int op, float x, float s)
{
    switch (op)
    {
        case U_NEG: return -x;
        case U_EXP: return expf(x);
        case U_LOG: return logf(x);
        case U_SQRT: return sqrtf(x);
        case U_RSQRT: return rsqrtf(x);
        case U_TANH: return tanhf(x);
        case U_SIGMOID: return sigmoid_f(x);
        case U_SILU: return x * sigmoid_f(x);
        case U_GELU_ERF: return 0.5f * x * (1.0f + erff(x * 0.70710678118654752f));
        case U_GELU_TANH: return 0.5f * x * (1.0f + tanhf(0.79788456080286536f * (x + 0.044715f * x * x * x)));
        case U_QUICK_GELU: return x * sigmoid_f(1.702f * x);
        case U_RELU: return x > 0.0f ? x : (x != x ? x : 0.0f);
        case U_ABS: return fabsf(x);
        case U_POW_SCALAR: return powf(x, s);
        case U_ADD_SCALAR: return x + s;
        case U_MUL_SCALAR: return x * s;
        case U_RECIPROCAL: return 1.0f / x;
        case U_SQUARE: return x * x;
        default: return SA_NAN;
    }
}

// maximum/minimum propagate NaN, as torch.maximum does.
__device__ __forceinline__ float apply_binary(int op, float a, float b)
{
    switch (op)
    {
        case B_ADD: return a + b;
        case B_SUB: return a - b;
        case B_MUL: return a * b;
        case B_DIV: return a / b;
        case B_MAXIMUM: return (a != a || b != b) ? SA_NAN : fmaxf(a, b);
        case B_MINIMUM: return (a != a || b != b) ? SA_NAN : fminf(a, b);
        case B_POW: return powf(a, b);
        default: return SA_NAN;
    }
}

__device__ __forceinline__ u8 apply_compare(int op, float a, float b)
{
    switch (op)
    {
        case C_EQ: return a == b;
        case C_NE: return a != b;
        case C_LT: return a < b;
        case C_LE: return a <= b;
        case C_GT: return a > b;
        case C_GE: return a >= b;
        default: return 0;
    }
}

template <typename T>
__device__ void unary_contiguous(int op, i64 n, const T* x, T* y, float scalar)
{
    for (i64 i = global_thread_index(); i < n; i += grid_stride()) store_f(y + i, apply_unary(op, load_f(x + i), scalar));
}

template <typename T>
__device__ void unary_strided(int op, i64 n, const T* x, StridedLayout xl, T* y, float scalar)
{
    for (i64 i = global_thread_index(); i < n; i += grid_stride())
        store_f(y + i, apply_unary(op, load_f(x + strided_offset(i, xl)), scalar));
}

template <typename T>
__device__ void binary_contiguous(int op, i64 n, const T* a, const T* b, T* y)
{
    for (i64 i = global_thread_index(); i < n; i += grid_stride()) store_f(y + i, apply_binary(op, load_f(a + i), load_f(b + i)));
}

template <typename T>
__device__ void binary_strided(int op, i64 n, const T* a, StridedLayout al, const T* b, StridedLayout bl, T* y)
{
    for (i64 i = global_thread_index(); i < n; i += grid_stride())
        store_f(y + i, apply_binary(op, load_f(a + strided_offset(i, al)), load_f(b + strided_offset(i, bl))));
}

template <typename T>
__device__ void compare_strided(int op, i64 n, const T* a, StridedLayout al, const T* b, StridedLayout bl, u8* y)
{
    for (i64 i = global_thread_index(); i < n; i += grid_stride())
        y[i] = apply_compare(op, load_f(a + strided_offset(i, al)), load_f(b + strided_offset(i, bl)));
}

template <typename T>
__device__ void where_strided(i64 n, const u8* cond, StridedLayout cl, const T* a, StridedLayout al, const T* b, StridedLayout bl, T* y)
{
    for (i64 i = global_thread_index(); i < n; i += grid_stride())
        y[i] = cond[strided_offset(i, cl)] ? a[strided_offset(i, al)] : b[strided_offset(i, bl)];
}

template <typename T> struct is_integer { static constexpr bool value = false; };
template <> struct is_integer<i32> { static constexpr bool value = true; };
template <> struct is_integer<i64> { static constexpr bool value = true; };

// Integer-to-integer casts keep every bit of the value (a trip through fp32 would lose precision above 2^24).
template <typename From, typename To>
__device__ void cast_contiguous(i64 n, const From* x, To* y)
{
    for (i64 i = global_thread_index(); i < n; i += grid_stride())
    {
        if constexpr (is_integer<From>::value && is_integer<To>::value) y[i] = (To)x[i];
        else store_f(y + i, load_f(x + i));
    }
}

template <typename Word>
__device__ void copy_strided(i64 n, const Word* x, StridedLayout xl, Word* y)
{
    for (i64 i = global_thread_index(); i < n; i += grid_stride()) y[i] = x[strided_offset(i, xl)];
}

// ---- instantiations -------------------------------------------------------------------------------
#define SA_ELEMENTWISE_DTYPE(T, NAME)                                                                              \
    extern "C" __global__ void elementwise_unary_##NAME(int op, i64 n, const T* x, T* y, float scalar)            \
    { unary_contiguous<T>(op, n, x, y, scalar); }                                                                  \
    extern "C" __global__ void elementwise_unary_strided_##NAME(int op, i64 n, const T* x, StridedLayout xl, T* y, float scalar) \
    { unary_strided<T>(op, n, x, xl, y, scalar); }                                                                 \
    extern "C" __global__ void elementwise_binary_##NAME(int op, i64 n, const T* a, const T* b, T* y)             \
    { binary_contiguous<T>(op, n, a, b, y); }                                                                      \
    extern "C" __global__ void elementwise_binary_strided_##NAME(int op, i64 n, const T* a, StridedLayout al,     \
        const T* b, StridedLayout bl, T* y)                                                                        \
    { binary_strided<T>(op, n, a, al, b, bl, y); }                                                                 \
    extern "C" __global__ void elementwise_compare_##NAME(int op, i64 n, const T* a, StridedLayout al,            \
        const T* b, StridedLayout bl, u8* y)                                                                       \
    { compare_strided<T>(op, n, a, al, b, bl, y); }                                                                \
    extern "C" __global__ void elementwise_where_##NAME(i64 n, const u8* cond, StridedLayout cl, const T* a,      \
        StridedLayout al, const T* b, StridedLayout bl, T* y)                                                      \
    { where_strided<T>(n, cond, cl, a, al, b, bl, y); }

SA_ELEMENTWISE_DTYPE(float, f32)
SA_ELEMENTWISE_DTYPE(bf16, bf16)

#define SA_CAST(FROM, FROM_NAME, TO, TO_NAME)                                                                      \
    extern "C" __global__ void elementwise_cast_##FROM_NAME##_##TO_NAME(i64 n, const FROM* x, TO* y)              \
    { cast_contiguous<FROM, TO>(n, x, y); }

#define SA_CAST_FROM(FROM, FROM_NAME)                                                                              \
    SA_CAST(FROM, FROM_NAME, float, f32) SA_CAST(FROM, FROM_NAME, bf16, bf16) SA_CAST(FROM, FROM_NAME, f16, f16)   \
    SA_CAST(FROM, FROM_NAME, i32, i32) SA_CAST(FROM, FROM_NAME, i64, i64)

SA_CAST_FROM(float, f32)
SA_CAST_FROM(bf16, bf16)
SA_CAST_FROM(f16, f16)
SA_CAST_FROM(i32, i32)
SA_CAST_FROM(i64, i64)

extern "C" __global__ void elementwise_copy_strided_b1(i64 n, const u8* x, StridedLayout xl, u8* y) { copy_strided<u8>(n, x, xl, y); }
extern "C" __global__ void elementwise_copy_strided_b2(i64 n, const u16* x, StridedLayout xl, u16* y) { copy_strided<u16>(n, x, xl, y); }
extern "C" __global__ void elementwise_copy_strided_b4(i64 n, const u32* x, StridedLayout xl, u32* y) { copy_strided<u32>(n, x, xl, y); }
extern "C" __global__ void elementwise_copy_strided_b8(i64 n, const u64* x, StridedLayout xl, u64* y) { copy_strided<u64>(n, x, xl, y); }
