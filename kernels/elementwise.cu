// elementwise.cu — broadcasting pointwise ops of two (or three) inputs over an output of n elements.
//   binary:  y[i] = g(a[i], b[i])              op codes BinaryOp below
//   compare: y[i] = (a[i] <op> b[i]) ? 1 : 0   y is u8, op codes CompareOp below
//   where:   y[i] = cond[i] ? a[i] : b[i]      cond is u8
// The output is dense row-major over the broadcast shape; each input is read through a StridedLayout of up to 8
// dims (broadcast dims have stride 0). Unary ops, casts and copies are in tensor.cu.
// Storage f32 or bf16; all math in fp32, one rounding at the store. No accumulation, so bit-deterministic.
#include "common.cuh"

// Op codes — mirrored by BinaryKernelOp and CompareKernelOp (engine/Cuda/Backend/KernelOpCodes.cs); a test compares them.
enum BinaryOp { B_ADD = 0, B_SUB = 1, B_MUL = 2, B_DIV = 3, B_MAXIMUM = 4, B_MINIMUM = 5, B_POW = 6 };
enum CompareOp { C_EQ = 0, C_NE = 1, C_LT = 2, C_LE = 3, C_GT = 4, C_GE = 5 };

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

// ---- instantiations -------------------------------------------------------------------------------
#define SA_ELEMENTWISE_DTYPE(T, NAME)                                                                              \
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
