// Row passes of the chunked linear + selective log-softmax (alignment spec §3.4, design A).
//
// A chunk of logits [rows, vocab] (leading dimension ld, fp32 or bf16 storage) is produced by the GEMM
// h·Wᵀ (+ b); these kernels read it once per pass. One block per row; the block size is a
// multiple of 32, at most 1024. The host offsets targets / lse / log_probs / entropy / gradients to the chunk's first row.
//
//   forward:  lse = max + log Σ exp(z − max) (online), log_prob = z[y] − lse,
//             entropy = lse − Σ p·z (optional); rows with y < 0 give 0.
//   backward: z := g·(onehot − p) − gH·p·(log p + H), in place; rows with y < 0 become 0.
//
// Math is fp32 whatever the storage. No CUDA headers: the few helpers needed are defined here.

#define LP_MAX_WARPS 32
#define LP_FULL_MASK 0xffffffffu

__device__ __forceinline__ float lp_neg_inf() { return __int_as_float(0xff800000); }

__device__ __forceinline__ float lp_bf16_to_float(unsigned short bits) { return __uint_as_float(((unsigned int)bits) << 16); }

// Round to nearest even; NaN stays a quiet NaN.
__device__ __forceinline__ unsigned short lp_float_to_bf16(float value)
{
    unsigned int bits = __float_as_uint(value);
    if ((bits & 0x7fffffffu) > 0x7f800000u) return (unsigned short)((bits >> 16) | 0x0040u);
    bits += 0x7fffu + ((bits >> 16) & 1u);
    return (unsigned short)(bits >> 16);
}

__device__ __forceinline__ float lp_load(const float* p, long long i) { return p[i]; }
__device__ __forceinline__ float lp_load(const unsigned short* p, long long i) { return lp_bf16_to_float(p[i]); }
__device__ __forceinline__ void lp_store(float* p, long long i, float v) { p[i] = v; }
__device__ __forceinline__ void lp_store(unsigned short* p, long long i, float v) { p[i] = lp_float_to_bf16(v); }

// Online softmax state: running max m, s = Σ exp(z − m), t = Σ exp(z − m)·z (for the entropy).
struct LpState
{
    float m, s, t;
};

__device__ __forceinline__ void lp_push(LpState& st, float z)
{
    if (z == lp_neg_inf()) return; // a masked-out logit adds nothing (and would give exp(−inf − −inf))
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
    if (m == lp_neg_inf()) return a; // both empty: avoid exp(−inf − −inf)
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
        other.m = __shfl_xor_sync(LP_FULL_MASK, st.m, offset);
        other.s = __shfl_xor_sync(LP_FULL_MASK, st.s, offset);
        other.t = __shfl_xor_sync(LP_FULL_MASK, st.t, offset);
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
__device__ void lp_chunk_fwd(const T* logits, long long ld, int vocab, const long long* targets,
                             float* log_probs, float* lse_out, float* entropy)
{
    int row = blockIdx.x;
    const T* z = logits + (long long)row * ld;
    LpState st;
    st.m = lp_neg_inf();
    st.s = 0.0f;
    st.t = 0.0f;
    for (int v = threadIdx.x; v < vocab; v += blockDim.x) lp_push(st, lp_load(z, v));
    LpState total = lp_block_reduce(st);
    if (threadIdx.x != 0) return;
    float lse = total.m + logf(total.s);
    long long y = targets[row];
    lse_out[row] = lse;
    log_probs[row] = y < 0 ? 0.0f : lp_load(z, y) - lse;
    if (entropy != 0) entropy[row] = y < 0 ? 0.0f : lse - total.t / total.s;
}

template <typename T>
__device__ void lp_chunk_bwd(T* logits, long long ld, int vocab, const long long* targets, const float* lse,
                             const float* grad_log_probs, const float* entropy, const float* grad_entropy)
{
    int row = blockIdx.x;
    T* z = logits + (long long)row * ld;
    long long y = targets[row];
    if (y < 0)
    {
        for (int v = threadIdx.x; v < vocab; v += blockDim.x) lp_store(z, v, 0.0f);
        return;
    }
    float row_lse = lse[row];
    float g = grad_log_probs[row];
    float gh = grad_entropy != 0 ? grad_entropy[row] : 0.0f;
    float h = entropy != 0 ? entropy[row] : 0.0f;
    for (int v = threadIdx.x; v < vocab; v += blockDim.x)
    {
        float log_p = lp_load(z, v) - row_lse;
        float p = expf(log_p);
        float grad = -p * (g + gh * (log_p + h));
        if (v == y) grad += g;
        lp_store(z, v, grad);
    }
}

extern "C" __global__ void logprob_chunk_fwd_f32(const float* logits, long long ld, int vocab, const long long* targets,
                                                 float* log_probs, float* lse, float* entropy)
{
    lp_chunk_fwd<float>(logits, ld, vocab, targets, log_probs, lse, entropy);
}

extern "C" __global__ void logprob_chunk_fwd_bf16(const unsigned short* logits, long long ld, int vocab, const long long* targets,
                                                  float* log_probs, float* lse, float* entropy)
{
    lp_chunk_fwd<unsigned short>(logits, ld, vocab, targets, log_probs, lse, entropy);
}

extern "C" __global__ void logprob_chunk_bwd_f32(float* logits, long long ld, int vocab, const long long* targets, const float* lse,
                                                 const float* grad_log_probs, const float* entropy, const float* grad_entropy)
{
    lp_chunk_bwd<float>(logits, ld, vocab, targets, lse, grad_log_probs, entropy, grad_entropy);
}

extern "C" __global__ void logprob_chunk_bwd_bf16(unsigned short* logits, long long ld, int vocab, const long long* targets, const float* lse,
                                                  const float* grad_log_probs, const float* entropy, const float* grad_entropy)
{
    lp_chunk_bwd<unsigned short>(logits, ld, vocab, targets, lse, grad_log_probs, entropy, grad_entropy);
}
