// Fused attention, backward by recomputation (bf16 in and out, fp32 accumulation). Same layouts as the
// forward in attention.cu: q, out, dout, dq [Tq, Hq, D]; k, v, dk, dv [Tk, Hkv, D]; lse, delta [Hq, Tq] fp32;
// cu_q, cu_k [S+1] int32; GQA by kv head = h / (Hq / Hkv); bottom-right aligned causal mask.
//
// The backward is deterministic by construction: no atomics anywhere.
//   attention_bwd_preprocess_bf16: delta[h, i] = Σ_d dout[i, h, d] · out[i, h, d]. One warp per (token, head).
//   attention_bwd_dq_bf16: grid (ceil(max Lq / 64), Hq, S), 128 threads, 4 warps × 16 query rows. For each
//     32-key tile: S = Q·Kᵀ, P = exp2(S·scale·log2 e − lse·log2 e), dP = dO·Vᵀ, dS = P∘(dP − delta),
//     dQ += dS·K, all in registers (Q and dO held as A fragments); dQ is scaled and written once.
//   attention_bwd_dkdv_bf16: grid (ceil(max Lk / 64), Hkv, S), 128 threads, 4 warps × 16 key rows. The CTA
//     loops over every query head of its kv head's group and over 32-query tiles, recomputing
//     Sᵀ = K·Qᵀ and Pᵀ, dV += Pᵀ·dO, dPᵀ = V·dOᵀ, dSᵀ = Pᵀ∘(dPᵀ − delta), dK += dSᵀ·Q. Summing the group's
//     heads inside one CTA is what removes the atomics GQA would otherwise need for dK and dV.
//     Dynamic shared memory: (2·64 + 2·32) · (ATTN_HEAD_DIM + 8) · 2 bytes (51 KB at D = 128: the launcher
//     raises cudaFuncAttributeMaxDynamicSharedMemorySize above 48 KB).
//   Causal: query tiles wholly before a key tile's first visible query, and key tiles wholly after a query
//   tile's last visible key, are skipped.
// Tensor cores: mma.sync m16n8k16 bf16 → fp32; ldmatrix (.trans where the reduction runs over tile rows);
// tiles arrive through cp.async.
#include "attention_tiles.cuh"

#define ATTN_BWD_ROWS 64     // query rows per dq CTA, key rows per dkdv CTA
#define ATTN_BWD_TILE 32     // keys per dq step, queries per dkdv step

extern "C" __global__ void __launch_bounds__(128) attention_bwd_preprocess_bf16(
    const attn_bf16* __restrict__ out, const attn_bf16* __restrict__ dout, float* __restrict__ delta, int total_q, int heads_q, int head_dim)
{
    const int row = blockIdx.x * (blockDim.x >> 5) + (threadIdx.x >> 5);   // row = token · Hq + head
    const int lane = threadIdx.x & 31;
    if (row >= total_q * heads_q) return;
    const long long base = (long long)row * head_dim;
    float partial = 0.f;
    for (int d = lane; d < head_dim; d += 32) partial += attn_bf16_to_float(out[base + d]) * attn_bf16_to_float(dout[base + d]);
    const float sum = attn_warp_sum(partial);
    if (lane == 0) delta[(long long)(row % heads_q) * total_q + row / heads_q] = sum;
}

// P or Pᵀ for one 16x8 accumulator element, given its raw score, the row's lse in base-2 units and visibility.
__device__ __forceinline__ float attn_probability(float score, float scale_log2, float lse_log2, bool visible)
{
    return visible && lse_log2 != attn_neg_inf() ? attn_exp2(score * scale_log2 - lse_log2) : 0.f;
}

extern "C" __global__ void __launch_bounds__(128) attention_bwd_dq_bf16(
    const attn_bf16* __restrict__ q, const attn_bf16* __restrict__ k, const attn_bf16* __restrict__ v,
    const attn_bf16* __restrict__ dout, const float* __restrict__ lse, const float* __restrict__ delta,
    attn_bf16* __restrict__ dq, const int* __restrict__ cu_q, const int* __restrict__ cu_k,
    int total_q, int heads_q, int heads_kv, int head_dim, float scale, int causal)
{
    // Q and dO are staged here (64 rows = both 32-row halves) before moving to registers; then K | V tiles.
    __shared__ __align__(16) attn_bf16 tiles[2 * ATTN_BWD_TILE * ATTN_SMEM_STRIDE];
    attn_bf16* k_tile = tiles;
    attn_bf16* v_tile = tiles + ATTN_BWD_TILE * ATTN_SMEM_STRIDE;

    const int segment = blockIdx.z, head = blockIdx.y, row_block = blockIdx.x * ATTN_BWD_ROWS;
    const int q0 = cu_q[segment], len_q = cu_q[segment + 1] - q0;
    if (row_block >= len_q) return;
    const int k0 = cu_k[segment], len_k = cu_k[segment + 1] - k0;
    const int diagonal = len_k - len_q;
    const int kv_head = head / (heads_q / heads_kv);
    const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
    const int quad_row = lane >> 2, quad_col = (lane & 3) * 2;
    const float scale_log2 = scale * ATTN_LOG2E;
    const long long q_stride = (long long)heads_q * head_dim, kv_stride = (long long)heads_kv * head_dim;
    const long long q_offset = (long long)(q0 + row_block) * q_stride + (long long)head * head_dim;
    const attn_bf16* k_rows = k + (long long)k0 * kv_stride + (long long)kv_head * head_dim;
    const attn_bf16* v_rows = v + (long long)k0 * kv_stride + (long long)kv_head * head_dim;

    attn_u32 q_frag[ATTN_K_STEPS][4], do_frag[ATTN_K_STEPS][4];
    attn_stage_to_fragments<ATTN_BWD_ROWS>(q_frag, tiles, q + q_offset, q_stride, len_q - row_block, head_dim, warp, lane);
    attn_stage_to_fragments<ATTN_BWD_ROWS>(do_frag, tiles, dout + q_offset, q_stride, len_q - row_block, head_dim, warp, lane);

    float lse_log2[2], row_delta[2];
#pragma unroll
    for (int r = 0; r < 2; ++r)
    {
        const int row = row_block + warp * 16 + quad_row + r * 8;
        const long long stat = (long long)head * total_q + q0 + attn_min(row, len_q - 1);
        lse_log2[r] = row < len_q ? lse[stat] * ATTN_LOG2E : attn_neg_inf();
        row_delta[r] = row < len_q ? delta[stat] : 0.f;
    }

    float dq_acc[ATTN_D_TILES][4];
    attn_zero(dq_acc);

    const int key_end = causal ? attn_min(len_k, row_block + ATTN_BWD_ROWS + diagonal) : len_k;
    for (int key0 = 0; key0 < key_end; key0 += ATTN_BWD_TILE)
    {
        attn_stage_rows<ATTN_BWD_TILE>(k_tile, k_rows + key0 * kv_stride, kv_stride, len_k - key0, head_dim);
        attn_cp_async_commit();
        attn_stage_rows<ATTN_BWD_TILE>(v_tile, v_rows + key0 * kv_stride, kv_stride, len_k - key0, head_dim);
        attn_cp_async_commit();
        attn_cp_async_wait<1>();
        __syncthreads();

        float p[ATTN_BWD_TILE / 8][4], dp[ATTN_BWD_TILE / 8][4];
        attn_zero(p);
        attn_zero(dp);
        attn_mma_nt(p, q_frag, k_tile, lane);
        attn_cp_async_wait<0>();
        __syncthreads();
        attn_mma_nt(dp, do_frag, v_tile, lane);
#pragma unroll
        for (int n = 0; n < ATTN_BWD_TILE / 8; ++n)
#pragma unroll
            for (int e = 0; e < 4; ++e)
            {
                const int row = row_block + warp * 16 + quad_row + (e >> 1) * 8;
                const int key = key0 + n * 8 + quad_col + (e & 1);
                const bool visible = key < len_k && (!causal || key <= row + diagonal);
                const float prob = attn_probability(p[n][e], scale_log2, lse_log2[e >> 1], visible);
                p[n][e] = prob * (dp[n][e] - row_delta[e >> 1]);   // p now holds dS
            }
        attn_mma_pv(dq_acc, p, k_tile, lane);
        __syncthreads();
    }

#pragma unroll
    for (int r = 0; r < 2; ++r)
    {
        const int row = row_block + warp * 16 + quad_row + r * 8;
        if (row >= len_q) continue;
        attn_store_row(dq + (long long)(q0 + row) * q_stride + (long long)head * head_dim, dq_acc, r, scale, quad_col, head_dim);
    }
}

extern "C" __global__ void __launch_bounds__(128) attention_bwd_dkdv_bf16(
    const attn_bf16* __restrict__ q, const attn_bf16* __restrict__ k, const attn_bf16* __restrict__ v,
    const attn_bf16* __restrict__ dout, const float* __restrict__ lse, const float* __restrict__ delta,
    attn_bf16* __restrict__ dk, attn_bf16* __restrict__ dv, const int* __restrict__ cu_q, const int* __restrict__ cu_k,
    int total_q, int heads_q, int heads_kv, int head_dim, float scale, int causal)
{
    extern __shared__ __align__(16) attn_bf16 shared_tiles[];
    attn_bf16* k_tile = shared_tiles;
    attn_bf16* v_tile = k_tile + ATTN_BWD_ROWS * ATTN_SMEM_STRIDE;
    attn_bf16* q_tile = v_tile + ATTN_BWD_ROWS * ATTN_SMEM_STRIDE;
    attn_bf16* do_tile = q_tile + ATTN_BWD_TILE * ATTN_SMEM_STRIDE;

    const int segment = blockIdx.z, kv_head = blockIdx.y, key_block = blockIdx.x * ATTN_BWD_ROWS;
    const int k0 = cu_k[segment], len_k = cu_k[segment + 1] - k0;
    if (key_block >= len_k) return;
    const int q0 = cu_q[segment], len_q = cu_q[segment + 1] - q0;
    const int diagonal = len_k - len_q;
    const int group = heads_q / heads_kv;
    const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
    const int quad_row = lane >> 2, quad_col = (lane & 3) * 2;
    const float scale_log2 = scale * ATTN_LOG2E;
    const long long q_stride = (long long)heads_q * head_dim, kv_stride = (long long)heads_kv * head_dim;
    const long long kv_offset = (long long)(k0 + key_block) * kv_stride + (long long)kv_head * head_dim;

    attn_stage_rows<ATTN_BWD_ROWS>(k_tile, k + kv_offset, kv_stride, len_k - key_block, head_dim);
    attn_stage_rows<ATTN_BWD_ROWS>(v_tile, v + kv_offset, kv_stride, len_k - key_block, head_dim);
    attn_cp_async_commit();

    float dk_acc[ATTN_D_TILES][4], dv_acc[ATTN_D_TILES][4];
    attn_zero(dk_acc);
    attn_zero(dv_acc);

    // The first query that sees key_block is key_block − diagonal; earlier query tiles contribute nothing.
    const int first_query = causal ? attn_max(0, key_block - diagonal) / ATTN_BWD_TILE * ATTN_BWD_TILE : 0;
    for (int head = kv_head * group; head < (kv_head + 1) * group; ++head)
        for (int query0 = first_query; query0 < len_q; query0 += ATTN_BWD_TILE)
        {
            const long long q_offset = (long long)(q0 + query0) * q_stride + (long long)head * head_dim;
            attn_stage_rows<ATTN_BWD_TILE>(q_tile, q + q_offset, q_stride, len_q - query0, head_dim);
            attn_cp_async_commit();
            attn_stage_rows<ATTN_BWD_TILE>(do_tile, dout + q_offset, q_stride, len_q - query0, head_dim);
            attn_cp_async_commit();

            // Per-column statistics: this lane's accumulator columns are queries n·8 + quad_col + {0, 1}.
            float col_lse[ATTN_BWD_TILE / 8][2], col_delta[ATTN_BWD_TILE / 8][2];
#pragma unroll
            for (int n = 0; n < ATTN_BWD_TILE / 8; ++n)
#pragma unroll
                for (int c = 0; c < 2; ++c)
                {
                    const int query = query0 + n * 8 + quad_col + c;
                    const long long stat = (long long)head * total_q + q0 + attn_min(query, len_q - 1);
                    col_lse[n][c] = query < len_q ? lse[stat] * ATTN_LOG2E : attn_neg_inf();
                    col_delta[n][c] = query < len_q ? delta[stat] : 0.f;
                }

            attn_cp_async_wait<1>();
            __syncthreads();
            float pt[ATTN_BWD_TILE / 8][4], dpt[ATTN_BWD_TILE / 8][4];
            attn_zero(pt);
            attn_zero(dpt);
            attn_mma_nt_smem(pt, k_tile, warp * 16, q_tile, lane);
#pragma unroll
            for (int n = 0; n < ATTN_BWD_TILE / 8; ++n)
#pragma unroll
                for (int e = 0; e < 4; ++e)
                {
                    const int key = key_block + warp * 16 + quad_row + (e >> 1) * 8;
                    const int query = query0 + n * 8 + quad_col + (e & 1);
                    const bool visible = key < len_k && query < len_q && (!causal || key <= query + diagonal);
                    pt[n][e] = attn_probability(pt[n][e], scale_log2, col_lse[n][e & 1], visible);
                }

            attn_cp_async_wait<0>();
            __syncthreads();
            attn_mma_pv(dv_acc, pt, do_tile, lane);
            attn_mma_nt_smem(dpt, v_tile, warp * 16, do_tile, lane);
#pragma unroll
            for (int n = 0; n < ATTN_BWD_TILE / 8; ++n)
#pragma unroll
                for (int e = 0; e < 4; ++e) pt[n][e] *= dpt[n][e] - col_delta[n][e & 1];   // pt now holds dSᵀ
            attn_mma_pv(dk_acc, pt, q_tile, lane);
            __syncthreads();
        }

    // A CTA whose loops never ran (no visible query) still owns its rows: it writes zeros.
    // dK and dV are written column by column together: two attn_store_row passes cost registers at small D.
    attn_cp_async_wait<0>();
#pragma unroll
    for (int r = 0; r < 2; ++r)
    {
        const int key = key_block + warp * 16 + quad_row + r * 8;
        if (key >= len_k) continue;
        const long long offset = (long long)(k0 + key) * kv_stride + (long long)kv_head * head_dim;
#pragma unroll
        for (int n = 0; n < ATTN_D_TILES; ++n)
        {
            const int col = n * 8 + quad_col;
            if (col >= head_dim) continue;
            *(attn_u32*)(dk + offset + col) = attn_pack_bf16x2(dk_acc[n][2 * r] * scale, dk_acc[n][2 * r + 1] * scale);
            *(attn_u32*)(dv + offset + col) = attn_pack_bf16x2(dv_acc[n][2 * r], dv_acc[n][2 * r + 1]);
        }
    }
}
