// logprob.cu — row passes of the chunked linear + selective log-softmax (the fused token log-prob op,
// docs/fused-ops.md).
//
// A chunk of logits [rows, vocab] (leading dimension ld, fp32 or bf16 storage) is produced by the GEMM
// h·Wᵀ (+ b); these kernels read it once per pass. One block per row; the block size is a
// multiple of 32, at most 1024. The host offsets targets / lse / log_probs / entropy / gradients to the chunk's first row.
//
//   forward:  lse = max + log Σ exp(z − max) (online), log_prob = z[y] − lse,
//             entropy = lse − Σ p·z (optional); rows with y < 0 give 0.
//   backward: z := g·(onehot − p) − gH·p·(log p + H), in place; rows with y < 0 become 0.
//
// Math is fp32 whatever the storage; bf16 loads and stores are common.cuh's load_f / store_f.
#include "common.cuh"

#define LP_MAX_WARPS 32

// Online softmax state: running max m, s = Σ exp(z − m), t = Σ exp(z − m)·z (for the entropy).
struct LpState
{
    float m, s, t;
};

__device__ __forceinline__ void lp_push(LpState& st, float z)
{
    if (z == SA_NEG_INFINITY) return; // a masked-out logit adds nothing (and would give exp(−inf − −inf))
    if (z > st.m)
    {
        float scale = expf(st.m - z); // 0 while m is still −inf
        st.s = st.s * scale + 1.0f;
        st.t = st.t * scale + z;
        st.m = z;
    }
    else
    {
        float e = expf(z - st.m);
        st.s += e;
        st.t += e * z;
    }
}

__device__ __forceinline__ LpState lp_merge(LpState a, LpState b)
{
    float m = fmaxf(a.m, b.m);
    if (m == SA_NEG_INFINITY) return a; // both empty: avoid exp(−inf − −inf)
    float ea = expf(a.m - m);
    float eb = expf(b.m - m);
    LpState r;
    r.m = m;
    r.s = a.s * ea + b.s * eb;
    r.t = a.t * ea + b.t * eb;
    return r;
}

// The whole block's state, valid in every thread.
__device__ LpState lp_block_reduce(LpState st)
{
    __shared__ float sm[LP_MAX_WARPS], ss[LP_MAX_WARPS], stt[LP_MAX_WARPS];
    for (int offset = 16; offset > 0; offset >>= 1)
    {
        LpState other;
        other.m = __shfl_xor_sync(SA_FULL_MASK, st.m, offset);
        other.s = __shfl_xor_sync(SA_FULL_MASK, st.s, offset);
        other.t = __shfl_xor_sync(SA_FULL_MASK, st.t, offset);
        st = lp_merge(st, other);
    }
    int warp = threadIdx.x >> 5;
    int lane = threadIdx.x & 31;
    int warps = (blockDim.x + 31) >> 5;
    if (lane == 0)
    {
        sm[warp] = st.m;
        ss[warp] = st.s;
        stt[warp] = st.t;
    }
    __syncthreads();
    LpState total;
    total.m = sm[0];
    total.s = ss[0];
    total.t = stt[0];
    for (int w = 1; w < warps; w++)
    {
        LpState other;
        other.m = sm[w];
        other.s = ss[w];
        other.t = stt[w];
        total = lp_merge(total, other);
    }
    return total;
}

template <typename T>
__device__ void lp_chunk_fwd(const T* logits, i64 ld, int vocab, const i64* targets,
                             float* log_probs, float* lse_out, float* entropy)
{
    int row = blockIdx.x;
    const T* z = logits + (i64)row * ld;
    LpState st;
    st.m = SA_NEG_INFINITY;
    st.s = 0.0f;
    st.t = 0.0f;
    for (int v = threadIdx.x; v < vocab; v += blockDim.x) lp_push(st, load_f(z + v));
    LpState total = lp_block_reduce(st);
    if (threadIdx.x != 0) return;
    float lse = total.m + logf(total.s);
    i64 y = targets[row];
    lse_out[row] = lse;
    log_probs[row] = y < 0 ? 0.0f : load_f(z + y) - lse;
    if (entropy != 0) entropy[row] = y < 0 ? 0.0f : lse - total.t / total.s;
}

template <typename T>
__device__ void lp_chunk_bwd(T* logits, i64 ld, int vocab, const i64* targets, const float* lse,
                             const float* grad_log_probs, const float* entropy, const float* grad_entropy)
{
    int row = blockIdx.x;
    T* z = logits + (i64)row * ld;
    i64 y = targets[row];
    if (y < 0)
    {
        for (int v = threadIdx.x; v < vocab; v += blockDim.x) store_f(z + v, 0.0f);
        return;
    }
    float row_lse = lse[row];
    float g = grad_log_probs[row];
    float gh = grad_entropy != 0 ? grad_entropy[row] : 0.0f;
    float h = entropy != 0 ? entropy[row] : 0.0f;
    for (int v = threadIdx.x; v < vocab; v += blockDim.x)
    {
        float log_p = load_f(z + v) - row_lse;
        float p = expf(log_p);
        float grad = -p * (g + gh * (log_p + h));
        if (v == y) grad += g;
        store_f(z + v, grad);
    }
}

extern "C" __global__ void logprob_chunk_fwd_f32(const float* logits, i64 ld, int vocab, const i64* targets,
                                                 float* log_probs, float* lse, float* entropy)
{
    lp_chunk_fwd<float>(logits, ld, vocab, targets, log_probs, lse, entropy);
}

extern "C" __global__ void logprob_chunk_fwd_bf16(const bf16* logits, i64 ld, int vocab, const i64* targets,
                                                  float* log_probs, float* lse, float* entropy)
{
    lp_chunk_fwd<bf16>(logits, ld, vocab, targets, log_probs, lse, entropy);
}

extern "C" __global__ void logprob_chunk_bwd_f32(float* logits, i64 ld, int vocab, const i64* targets, const float* lse,
                                                 const float* grad_log_probs, const float* entropy, const float* grad_entropy)
{
    lp_chunk_bwd<float>(logits, ld, vocab, targets, lse, grad_log_probs, entropy, grad_entropy);
}

extern "C" __global__ void logprob_chunk_bwd_bf16(bf16* logits, i64 ld, int vocab, const i64* targets, const float* lse,
                                                  const float* grad_log_probs, const float* entropy, const float* grad_entropy)
{
    lp_chunk_bwd<bf16>(logits, ld, vocab, targets, lse, grad_log_probs, entropy, grad_entropy);
}
