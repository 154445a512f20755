// Fused attention, forward and decode (bf16 in and out, fp32 accumulation and statistics).
//
// attention_fwd_bf16 — FlashAttention-2 style forward over packed variable-length segments.
//   q [Tq, Hq, D], k and v [Tk, Hkv, D], out [Tq, Hq, D] (bf16); lse [Hq, Tq] (fp32, natural log, −∞ for a row
//   that sees no key, whose output is 0); cu_q, cu_k [S+1] (int32) segment bounds; query head h reads kv head
//   h / (Hq / Hkv) (GQA without copying K/V). Causal masking is bottom-right aligned: row i of a segment sees
//   key j when j ≤ i + (Lk − Lq).
//   Grid (ceil(max Lq / 64), Hq, S), 128 threads. Each CTA owns 64 query rows; each of its 4 warps owns 16 and
//   keeps them as mma A fragments, so warps share K/V tiles but never exchange partial results ("split-Q").
//   K and V stream through shared memory in 64-key tiles with cp.async: V[j] loads while S = Q·K[j]ᵀ is
//   computed, K[j+1] loads while O += P·V[j] is. Scores live in registers in base-2 units (s·scale·log2 e);
//   the running max and the per-lane partial row sums are rescaled once per tile and the output is divided
//   by the row sum once at the end. Key tiles wholly above the causal diagonal are never visited.
//   Tensor cores: mma.sync m16n8k16 bf16 → fp32, operands fetched with ldmatrix (.trans for V).
//   Shared memory: 2 · 64 · (ATTN_HEAD_DIM + 8) · 2 bytes (34 KB at D = 128), static.
//
// attention_decode_bf16 — one new query per sequence against a KV cache (generation).
//   q [B, Hq, D], k_cache and v_cache [B, Tmax, Hkv, D], lengths [B] (int32), out [B, Hq, D].
//   Grid (Hq, B), 128 threads: warp w takes cached tokens w, w+4, …; each lane holds 4 of the head dims; every
//   warp keeps its own online-softmax state and the 4 states are merged through shared memory at the end.
//   Memory-bound by the cache read, so it uses plain fp32 FMAs rather than tensor cores.
#include "attention_tiles.cuh"

#define ATTN_FWD_ROWS 64
#define ATTN_FWD_KEYS 64

extern "C" __global__ void __launch_bounds__(128) attention_fwd_bf16(
    const attn_bf16* __restrict__ q, const attn_bf16* __restrict__ k, const attn_bf16* __restrict__ v,
    attn_bf16* __restrict__ out, float* __restrict__ lse, const int* __restrict__ cu_q, const int* __restrict__ cu_k,
    int total_q, int heads_q, int heads_kv, int head_dim, float scale, int causal)
{
    __shared__ __align__(16) attn_bf16 k_tile[ATTN_FWD_KEYS * ATTN_SMEM_STRIDE];
    __shared__ __align__(16) attn_bf16 v_tile[ATTN_FWD_KEYS * ATTN_SMEM_STRIDE];

    const int segment = blockIdx.z;
    const int head = blockIdx.y;
    const int row_block = blockIdx.x * ATTN_FWD_ROWS;
    const int q0 = cu_q[segment];
    const int len_q = cu_q[segment + 1] - q0;
    if (row_block >= len_q) return;
    const int k0 = cu_k[segment];
    const int len_k = cu_k[segment + 1] - k0;
    const int diagonal = len_k - len_q;
    const int kv_head = head / (heads_q / heads_kv);
    const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
    const int quad_row = lane >> 2, quad_col = (lane & 3) * 2;
    const float scale_log2 = scale * ATTN_LOG2E;
    const long long q_stride = (long long)heads_q * head_dim;
    const long long kv_stride = (long long)heads_kv * head_dim;
    const attn_bf16* k_rows = k + (long long)k0 * kv_stride + (long long)kv_head * head_dim;
    const attn_bf16* v_rows = v + (long long)k0 * kv_stride + (long long)kv_head * head_dim;

    // The Q tile passes through k_tile once and then lives in registers for the whole key loop.
    attn_u32 q_frag[ATTN_K_STEPS][4];
    attn_stage_to_fragments<ATTN_FWD_ROWS>(q_frag, k_tile, q + (long long)(q0 + row_block) * q_stride + (long long)head * head_dim, q_stride,
                                           len_q - row_block, head_dim, warp, lane);

    float o_acc[ATTN_D_TILES][4];
    attn_zero(o_acc);
    float row_max[2] = {attn_neg_inf(), attn_neg_inf()};
    float row_sum[2] = {0.f, 0.f};

    const int key_end = causal ? attn_min(len_k, row_block + ATTN_FWD_ROWS + diagonal) : len_k;
    const int key_tiles = key_end > 0 ? (key_end + ATTN_FWD_KEYS - 1) / ATTN_FWD_KEYS : 0;
    if (key_tiles > 0)
    {
        attn_stage_rows<ATTN_FWD_KEYS>(k_tile, k_rows, kv_stride, len_k, head_dim);
        attn_cp_async_commit();
    }
    for (int tile = 0; tile < key_tiles; ++tile)
    {
        const int key0 = tile * ATTN_FWD_KEYS;
        attn_stage_rows<ATTN_FWD_KEYS>(v_tile, v_rows + key0 * kv_stride, kv_stride, len_k - key0, head_dim);
        attn_cp_async_commit();
        attn_cp_async_wait<1>();
        __syncthreads();

        float s[ATTN_FWD_KEYS / 8][4];
        attn_zero(s);
        attn_mma_nt(s, q_frag, k_tile, lane);

        // Mask, then the online-softmax update for the lane's two rows (quad_row and quad_row + 8).
        float tile_max[2] = {attn_neg_inf(), attn_neg_inf()};
#pragma unroll
        for (int n = 0; n < ATTN_FWD_KEYS / 8; ++n)
#pragma unroll
            for (int e = 0; e < 4; ++e)
            {
                const int row = row_block + warp * 16 + quad_row + (e >> 1) * 8;
                const int key = key0 + n * 8 + quad_col + (e & 1);
                const bool visible = key < len_k && (!causal || key <= row + diagonal);
                s[n][e] = visible ? s[n][e] * scale_log2 : attn_neg_inf();
                tile_max[e >> 1] = attn_fmax(tile_max[e >> 1], s[n][e]);
            }
        float correction[2], base[2];
#pragma unroll
        for (int r = 0; r < 2; ++r)
        {
            const float new_max = attn_fmax(row_max[r], attn_quad_max(tile_max[r]));
            // A row with nothing visible yet keeps max −∞; subtracting 0 keeps exp2 at exactly 0 for it.
            base[r] = new_max == attn_neg_inf() ? 0.f : new_max;
            correction[r] = attn_exp2(row_max[r] - base[r]);
            row_max[r] = new_max;
            row_sum[r] *= correction[r];
        }
#pragma unroll
        for (int n = 0; n < ATTN_FWD_KEYS / 8; ++n)
#pragma unroll
            for (int e = 0; e < 4; ++e)
            {
                s[n][e] = attn_exp2(s[n][e] - base[e >> 1]);
                row_sum[e >> 1] += s[n][e];
            }
#pragma unroll
        for (int n = 0; n < ATTN_D_TILES; ++n)
        {
            o_acc[n][0] *= correction[0];
            o_acc[n][1] *= correction[0];
            o_acc[n][2] *= correction[1];
            o_acc[n][3] *= correction[1];
        }

        attn_cp_async_wait<0>();
        __syncthreads();
        if (tile + 1 < key_tiles)
        {
            attn_stage_rows<ATTN_FWD_KEYS>(k_tile, k_rows + (key0 + ATTN_FWD_KEYS) * kv_stride, kv_stride, len_k - key0 - ATTN_FWD_KEYS, head_dim);
            attn_cp_async_commit();
        }
        attn_mma_pv(o_acc, s, v_tile, lane);
        __syncthreads();
    }

#pragma unroll
    for (int r = 0; r < 2; ++r)
    {
        const float sum = attn_quad_sum(row_sum[r]);
        const int row = row_block + warp * 16 + quad_row + r * 8;
        if (row >= len_q) continue;
        const float inverse = sum > 0.f ? 1.f / sum : 0.f;
        attn_store_row(out + (long long)(q0 + row) * q_stride + (long long)head * head_dim, o_acc, r, inverse, quad_col, head_dim);
        if ((lane & 3) == 0)
            lse[(long long)head * total_q + q0 + row] = sum > 0.f ? (row_max[r] + attn_log2(sum)) * ATTN_LN2 : attn_neg_inf();
    }
}

#define ATTN_DECODE_WARPS 4

extern "C" __global__ void __launch_bounds__(ATTN_DECODE_WARPS * 32) attention_decode_bf16(
    const attn_bf16* __restrict__ q, const attn_bf16* __restrict__ k_cache, const attn_bf16* __restrict__ v_cache,
    const int* __restrict__ lengths, attn_bf16* __restrict__ out, int max_tokens, int heads_q, int heads_kv, int head_dim, float scale)
{
    __shared__ float warp_max[ATTN_DECODE_WARPS];
    __shared__ float warp_sum[ATTN_DECODE_WARPS];
    __shared__ float warp_acc[ATTN_DECODE_WARPS][ATTN_HEAD_DIM];

    const int head = blockIdx.x, batch = blockIdx.y;
    const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
    const int kv_head = head / (heads_q / heads_kv);
    const int dim0 = lane * 4;
    const bool owns_dims = dim0 < head_dim;
    const float scale_log2 = scale * ATTN_LOG2E;
    const attn_bf16* q_row = q + ((long long)batch * heads_q + head) * head_dim;

    float query[4] = {0.f, 0.f, 0.f, 0.f};
    if (owns_dims)
        for (int i = 0; i < 4; ++i) query[i] = attn_bf16_to_float(q_row[dim0 + i]);

    float running_max = attn_neg_inf(), running_sum = 0.f;
    float acc[4] = {0.f, 0.f, 0.f, 0.f};
    const int length = lengths[batch];
    for (int t = warp; t < length; t += ATTN_DECODE_WARPS)
    {
        const long long offset = (((long long)batch * max_tokens + t) * heads_kv + kv_head) * head_dim + dim0;
        float partial = 0.f;
        float value[4] = {0.f, 0.f, 0.f, 0.f};
        if (owns_dims)
        {
            const unsigned long long k4 = *(const unsigned long long*)(k_cache + offset);
            const unsigned long long v4 = *(const unsigned long long*)(v_cache + offset);
            for (int i = 0; i < 4; ++i)
            {
                partial += query[i] * attn_bf16_to_float((attn_bf16)(k4 >> (16 * i)));
                value[i] = attn_bf16_to_float((attn_bf16)(v4 >> (16 * i)));
            }
        }
        const float score = attn_warp_sum(partial) * scale_log2;
        const float new_max = attn_fmax(running_max, score);
        const float correction = attn_exp2(running_max - new_max);
        const float p = attn_exp2(score - new_max);
        running_sum = running_sum * correction + p;
        for (int i = 0; i < 4; ++i) acc[i] = acc[i] * correction + p * value[i];
        running_max = new_max;
    }

    if (lane == 0)
    {
        warp_max[warp] = running_max;
        warp_sum[warp] = running_sum;
    }
    if (owns_dims)
        for (int i = 0; i < 4; ++i) warp_acc[warp][dim0 + i] = acc[i];
    __syncthreads();
    if (warp != 0) return;

    float merged_max = attn_neg_inf();
    for (int w = 0; w < ATTN_DECODE_WARPS; ++w) merged_max = attn_fmax(merged_max, warp_max[w]);
    const float base = merged_max == attn_neg_inf() ? 0.f : merged_max;
    float total = 0.f;
    float weight[ATTN_DECODE_WARPS];
    for (int w = 0; w < ATTN_DECODE_WARPS; ++w)
    {
        weight[w] = attn_exp2(warp_max[w] - base);
        total += warp_sum[w] * weight[w];
    }
    const float inverse = total > 0.f ? 1.f / total : 0.f;
    if (!owns_dims) return;
    attn_bf16* out_row = out + ((long long)batch * heads_q + head) * head_dim + dim0;
    float result[4];
    for (int i = 0; i < 4; ++i)
    {
        float x = 0.f;
        for (int w = 0; w < ATTN_DECODE_WARPS; ++w) x += warp_acc[w][dim0 + i] * weight[w];
        result[i] = x * inverse;
    }
    *(attn_u32*)(out_row) = attn_pack_bf16x2(result[0], result[1]);
    *(attn_u32*)(out_row + 2) = attn_pack_bf16x2(result[2], result[3]);
}
