// norms.cu — RMSNorm and LayerNorm over the last dim of a dense [R, C] input, forward and backward.
//   rmsnorm_fwd:    rstd_r = 1/sqrt(mean_c x² + eps);  y = w * round_T(x * rstd_r)
//                   (Hugging Face order: normalise in fp32, cast to the activation dtype, then multiply by the
//                   weight, the product rounded again to T. For f32 both roundings are the identity.)
//   layernorm_fwd:  mean_r, rstd_r = 1/sqrt(var_r + eps) (biased variance, two-pass);  y = (x - mean) * rstd * w + b
//   *_bwd (input):  xhat = (x - mean) * rstd, g = dy * w
//                   rmsnorm:   dx = rstd * (g - xhat * mean_c(g * xhat))
//                   layernorm: dx = rstd * (g - mean_c(g) - xhat * mean_c(g * xhat))
//   weight/bias grads: dw[c] = sum_r dy * xhat (xhat rounded to T for rmsnorm, as the forward used it),
//                   db[c] = sum_r dy — two deterministic passes: norms_param_grad_partial writes fp32 partial sums
//                   per chunk of rows [K, C], norms_sum_partials adds the K partials in order.
// Statistics fp32 ([R] fp32 mean/rstd are saved for backward). Launch row kernels with grid = R, block = 256;
// the partial kernel with grid = (ceil(C/256), K), block = 256; the sum kernel with grid = ceil(C/256), block 256.
#include "common.cuh"

template <typename T>
__device__ void rmsnorm_forward(i64 c, const T* x, const T* w, float eps, T* y, float* rstdOut)
{
    __shared__ float scratch[32];
    const i64 base = (i64)blockIdx.x * c;
    float sumsq = 0.0f;
    for (i64 j = threadIdx.x; j < c; j += blockDim.x) { const float v = load_f(x + base + j); sumsq += v * v; }
    const float rstd = rsqrtf(block_sum(sumsq, scratch) / (float)c + eps);
    if (threadIdx.x == 0 && rstdOut) rstdOut[blockIdx.x] = rstd;
    for (i64 j = threadIdx.x; j < c; j += blockDim.x)
        store_f(y + base + j, load_f(w + j) * round_to<T>(load_f(x + base + j) * rstd));
}

template <typename T>
__device__ void layernorm_forward(i64 c, const T* x, const T* w, const T* b, float eps, T* y, float* meanOut, float* rstdOut)
{
    __shared__ float scratch[32];
    const i64 base = (i64)blockIdx.x * c;
    float sum = 0.0f;
    for (i64 j = threadIdx.x; j < c; j += blockDim.x) sum += load_f(x + base + j);
    const float mean = block_sum(sum, scratch) / (float)c;
    float centred = 0.0f;
    for (i64 j = threadIdx.x; j < c; j += blockDim.x) { const float d = load_f(x + base + j) - mean; centred += d * d; }
    const float rstd = rsqrtf(block_sum(centred, scratch) / (float)c + eps);
    if (threadIdx.x == 0)
    {
        if (meanOut) meanOut[blockIdx.x] = mean;
        if (rstdOut) rstdOut[blockIdx.x] = rstd;
    }
    for (i64 j = threadIdx.x; j < c; j += blockDim.x)
    {
        const float bias = b ? load_f(b + j) : 0.0f;
        store_f(y + base + j, (load_f(x + base + j) - mean) * rstd * load_f(w + j) + bias);
    }
}

// mean == nullptr selects RMSNorm (no centring, no mean(g) term).
template <typename T>
__device__ void norm_backward(i64 c, const T* x, const T* w, const float* mean, const float* rstd, const T* dy, T* dx)
{
    __shared__ float scratch[32];
    const i64 base = (i64)blockIdx.x * c;
    const float mu = mean ? mean[blockIdx.x] : 0.0f, r = rstd[blockIdx.x];
    float sumG = 0.0f, sumGX = 0.0f;
    for (i64 j = threadIdx.x; j < c; j += blockDim.x)
    {
        const float g = load_f(dy + base + j) * load_f(w + j);
        sumG += g;
        sumGX += g * (load_f(x + base + j) - mu) * r;
    }
    sumGX = block_sum(sumGX, scratch) / (float)c;
    sumG = mean ? block_sum(sumG, scratch) / (float)c : 0.0f;
    for (i64 j = threadIdx.x; j < c; j += blockDim.x)
    {
        const float g = load_f(dy + base + j) * load_f(w + j);
        const float xhat = (load_f(x + base + j) - mu) * r;
        store_f(dx + base + j, r * (g - sumG - xhat * sumGX));
    }
}

template <typename T>
__device__ void param_grad_partial(i64 rows, i64 c, i64 rowsPerChunk, const T* x, const float* mean, const float* rstd,
                                   const T* dy, float* partialW, float* partialB)
{
    const i64 col = (i64)blockIdx.x * blockDim.x + threadIdx.x;
    if (col >= c) return;
    const i64 first = (i64)blockIdx.y * rowsPerChunk;
    const i64 last = min(rows, first + rowsPerChunk);
    float accW = 0.0f, accB = 0.0f;
    for (i64 r = first; r < last; ++r)
    {
        const float g = load_f(dy + r * c + col);
        float xhat = (load_f(x + r * c + col) - (mean ? mean[r] : 0.0f)) * rstd[r];
        if (!mean) xhat = round_to<T>(xhat);
        accW += g * xhat;
        accB += g;
    }
    partialW[(i64)blockIdx.y * c + col] = accW;
    if (partialB) partialB[(i64)blockIdx.y * c + col] = accB;
}

template <typename T>
__device__ void sum_partials(i64 chunks, i64 c, const float* partial, T* out)
{
    const i64 col = (i64)blockIdx.x * blockDim.x + threadIdx.x;
    if (col >= c) return;
    float acc = 0.0f;
    for (i64 k = 0; k < chunks; ++k) acc += partial[k * c + col];
    store_f(out + col, acc);
}

// ---- instantiations -------------------------------------------------------------------------------
#define SA_NORMS(T, NAME)                                                                                          \
    extern "C" __global__ void rmsnorm_fwd_##NAME(i64 c, const T* x, const T* w, float eps, T* y, float* rstd)    \
    { rmsnorm_forward<T>(c, x, w, eps, y, rstd); }                                                                 \
    extern "C" __global__ void rmsnorm_bwd_##NAME(i64 c, const T* x, const T* w, const float* rstd, const T* dy, T* dx) \
    { norm_backward<T>(c, x, w, nullptr, rstd, dy, dx); }                                                          \
    extern "C" __global__ void layernorm_fwd_##NAME(i64 c, const T* x, const T* w, const T* b, float eps, T* y,   \
        float* mean, float* rstd)                                                                                  \
    { layernorm_forward<T>(c, x, w, b, eps, y, mean, rstd); }                                                      \
    extern "C" __global__ void layernorm_bwd_##NAME(i64 c, const T* x, const T* w, const float* mean,             \
        const float* rstd, const T* dy, T* dx)                                                                     \
    { norm_backward<T>(c, x, w, mean, rstd, dy, dx); }                                                             \
    extern "C" __global__ void norms_param_grad_partial_##NAME(i64 rows, i64 c, i64 rowsPerChunk, const T* x,     \
        const float* mean, const float* rstd, const T* dy, float* partialW, float* partialB)                       \
    { param_grad_partial<T>(rows, c, rowsPerChunk, x, mean, rstd, dy, partialW, partialB); }                       \
    extern "C" __global__ void norms_sum_partials_##NAME(i64 chunks, i64 c, const float* partial, T* out)         \
    { sum_partials<T>(chunks, c, partial, out); }

SA_NORMS(float, f32)
SA_NORMS(bf16, bf16)
