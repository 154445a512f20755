// softmax.cu — softmax and log-softmax over the last dim of a dense [R, N] input, forward and backward.
//   softmax_fwd:      y[r, j] = exp(x[r, j] - m_r) / s_r,   m_r = max_j x, s_r = sum_j exp(x - m_r)
//   log_softmax_fwd:  y[r, j] = x[r, j] - m_r - log s_r
//   softmax_bwd:      dx = y * (dy - sum_j(dy * y))           (y is the forward output)
//   log_softmax_bwd:  dx = dy - exp(y) * sum_j dy             (y is the forward output)
// Statistics (max, sums) in fp32; storage f32 or bf16, rounded once at the store. A row that is all -inf
// gives NaN (as torch). Deterministic fixed-tree block reductions. Launch: grid = R, block = 256.
#include "common.cuh"

template <typename T>
__device__ void softmax_forward(i64 n, const T* x, T* y, bool logarithm)
{
    __shared__ float scratch[32];
    const i64 base = (i64)blockIdx.x * n;
    float m = SA_NEG_INFINITY;
    for (i64 j = threadIdx.x; j < n; j += blockDim.x) m = fmaxf(m, load_f(x + base + j));
    m = block_max(m, scratch);
    float s = 0.0f;
    for (i64 j = threadIdx.x; j < n; j += blockDim.x) s += expf(load_f(x + base + j) - m);
    s = block_sum(s, scratch);
    const float logNormaliser = m + logf(s);
    const float inverse = 1.0f / s;
    for (i64 j = threadIdx.x; j < n; j += blockDim.x)
    {
        const float v = load_f(x + base + j);
        store_f(y + base + j, logarithm ? v - logNormaliser : expf(v - m) * inverse);
    }
}

template <typename T>
__device__ void softmax_backward(i64 n, const T* y, const T* dy, T* dx, bool logarithm)
{
    __shared__ float scratch[32];
    const i64 base = (i64)blockIdx.x * n;
    float dot = 0.0f;
    for (i64 j = threadIdx.x; j < n; j += blockDim.x)
        dot += logarithm ? load_f(dy + base + j) : load_f(dy + base + j) * load_f(y + base + j);
    dot = block_sum(dot, scratch);
    for (i64 j = threadIdx.x; j < n; j += blockDim.x)
    {
        const float yv = load_f(y + base + j), g = load_f(dy + base + j);
        store_f(dx + base + j, logarithm ? g - expf(yv) * dot : yv * (g - dot));
    }
}

// ---- instantiations -------------------------------------------------------------------------------
#define SA_SOFTMAX(T, NAME)                                                                                        \
    extern "C" __global__ void softmax_fwd_##NAME(i64 n, const T* x, T* y) { softmax_forward<T>(n, x, y, false); } \
    extern "C" __global__ void softmax_log_fwd_##NAME(i64 n, const T* x, T* y) { softmax_forward<T>(n, x, y, true); } \
    extern "C" __global__ void softmax_bwd_##NAME(i64 n, const T* y, const T* dy, T* dx) { softmax_backward<T>(n, y, dy, dx, false); } \
    extern "C" __global__ void softmax_log_bwd_##NAME(i64 n, const T* y, const T* dy, T* dx) { softmax_backward<T>(n, y, dy, dx, true); }

SA_SOFTMAX(float, f32)
SA_SOFTMAX(bf16, bf16)
