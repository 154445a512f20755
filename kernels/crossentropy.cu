// crossentropy.cu — per-token log-probabilities of target ids and the cross-entropy gradient.
//   crossentropy_logprob_fwd: logits [R, V] (T), targets i64 [R]
//       lse[r]  = log sum_v exp(logits[r, v])                       fp32 [R], saved for backward
//       logp[r] = logits[r, targets[r]] - lse[r]                    fp32 [R]; 0 where targets[r] == ignoreIndex;
//                                                                   NaN for any other target outside [0, V)
//       The cross-entropy loss of a row is -logp[r]; its mean over non-ignored rows is formed on the host.
//   crossentropy_bwd: dlogits[r, v] = g[r] * (exp(logits[r, v] - lse[r]) - [v == targets[r]])
//       g fp32 [R] is dLoss/dCE_r (for a log-prob consumer pass g = -dL/dlogp). Ignored rows get dlogits = 0.
// fp32 statistics; deterministic fixed-tree block reductions. Launch: grid = R, block = 256 (or 512 for V ~ 150k).
#include "common.cuh"

template <typename T>
__device__ void logprob_forward(i64 v, const T* logits, const i64* targets, i64 ignoreIndex, float* logp, float* lse)
{
    __shared__ float scratch[32];
    const i64 r = blockIdx.x;
    const T* row = logits + r * v;
    float m = SA_NEG_INFINITY;
    for (i64 j = threadIdx.x; j < v; j += blockDim.x) m = fmaxf(m, load_f(row + j));
    m = block_max(m, scratch);
    float s = 0.0f;
    for (i64 j = threadIdx.x; j < v; j += blockDim.x) s += expf(load_f(row + j) - m);
    s = block_sum(s, scratch);
    if (threadIdx.x != 0) return;
    const float logNormaliser = m + logf(s);
    lse[r] = logNormaliser;
    const i64 target = targets[r];
    if (target == ignoreIndex) logp[r] = 0.0f;
    else if (target < 0 || target >= v) logp[r] = SA_NAN;
    else logp[r] = load_f(row + target) - logNormaliser;
}

template <typename T>
__device__ void crossentropy_backward(i64 v, const T* logits, const i64* targets, i64 ignoreIndex, const float* lse,
                                      const float* rowGrad, T* dlogits)
{
    const i64 r = blockIdx.x;
    const i64 target = targets[r];
    const bool ignored = target == ignoreIndex;
    const float g = ignored ? 0.0f : rowGrad[r], logNormaliser = lse[r];
    for (i64 j = threadIdx.x; j < v; j += blockDim.x)
    {
        const float p = expf(load_f(logits + r * v + j) - logNormaliser);
        store_f(dlogits + r * v + j, ignored ? 0.0f : g * (p - (j == target ? 1.0f : 0.0f)));
    }
}

// ---- instantiations -------------------------------------------------------------------------------
#define SA_CROSSENTROPY(T, NAME)                                                                                   \
    extern "C" __global__ void crossentropy_logprob_fwd_##NAME(i64 v, const T* logits, const i64* targets,        \
        i64 ignoreIndex, float* logp, float* lse)                                                                  \
    { logprob_forward<T>(v, logits, targets, ignoreIndex, logp, lse); }                                            \
    extern "C" __global__ void crossentropy_bwd_##NAME(i64 v, const T* logits, const i64* targets, i64 ignoreIndex, \
        const float* lse, const float* rowGrad, T* dlogits)                                                        \
    { crossentropy_backward<T>(v, logits, targets, ignoreIndex, lse, rowGrad, dlogits); }

SA_CROSSENTROPY(float, f32)
SA_CROSSENTROPY(bf16, bf16)
