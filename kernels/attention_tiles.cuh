// Tile loops shared by the attention kernels (attention.cu, attention_bwd.cu), built on the fragment helpers of
// attention_common.cuh. A warp owns 16 rows of every accumulator; "Tiles" counts its 16x8 fp32 tiles, so an
// accumulator over N columns is float[N / 8][4]. Everything unrolls at compile time and stays in registers.
#pragma once

#include "attention_common.cuh"

template <int Tiles>
__device__ __forceinline__ void attn_zero(float (&acc)[Tiles][4])
{
#pragma unroll
    for (int n = 0; n < Tiles; ++n) acc[n][0] = acc[n][1] = acc[n][2] = acc[n][3] = 0.f;
}

// The A fragments of a warp's 16 rows (row0..row0+15) of a staged tile, across the whole head dim.
__device__ __forceinline__ void attn_load_a_rows(attn_u32 (&frag)[ATTN_K_STEPS][4], const attn_bf16* tile, int row0, int lane)
{
#pragma unroll
    for (int ks = 0; ks < ATTN_K_STEPS; ++ks) attn_load_a(frag[ks], tile, row0, ks * 16, lane);
}

// Stages Rows rows of one head into tile, then moves the warp's 16 of them into A fragments; the tile is free
// again on return (both ends synchronise the block).
template <int Rows>
__device__ __forceinline__ void attn_stage_to_fragments(attn_u32 (&frag)[ATTN_K_STEPS][4], attn_bf16* tile, const attn_bf16* rows,
                                                        long long row_stride, int valid_rows, int head_dim, int warp, int lane)
{
    attn_stage_rows<Rows>(tile, rows, row_stride, valid_rows, head_dim);
    attn_cp_async_commit();
    attn_cp_async_wait<0>();
    __syncthreads();
    attn_load_a_rows(frag, tile, warp * 16, lane);
    __syncthreads();
}

// acc (16 x Tiles·8) += a · Bᵀ for one 16-wide slice k0…k0+15 of the head dim: a is that slice's A fragment and
// B an n-major smem tile (its rows are the output columns), read an ldmatrix x4 (two 8-column tiles) at a time.
template <int Tiles>
__device__ __forceinline__ void attn_mma_nt_slice(float (&acc)[Tiles][4], const attn_u32* a, const attn_bf16* b_tile, int k0, int lane)
{
#pragma unroll
    for (int n = 0; n < Tiles / 2; ++n)
    {
        attn_u32 b[4];
        attn_load_b_nmajor(b, b_tile, n * 16, k0, lane);
        attn_mma(acc[2 * n], a, b[0], b[1]);
        attn_mma(acc[2 * n + 1], a, b[2], b[3]);
    }
}

// acc (16 x Tiles·8) += A · Bᵀ over the head dim, A held in registers, B an n-major smem tile (its rows are the
// output columns: K for Q·Kᵀ, V for dO·Vᵀ).
template <int Tiles>
__device__ __forceinline__ void attn_mma_nt(float (&acc)[Tiles][4], const attn_u32 (&a)[ATTN_K_STEPS][4], const attn_bf16* b_tile, int lane)
{
#pragma unroll
    for (int ks = 0; ks < ATTN_K_STEPS; ++ks) attn_mma_nt_slice(acc, a[ks], b_tile, ks * 16, lane);
}

// The same product with A read from smem (rows a_row0..a_row0+15 of a_tile) one head-dim slice at a time, for
// kernels that cannot keep A in registers (Kᵀ·Q and Vᵀ·dO in the dK/dV kernel).
template <int Tiles>
__device__ __forceinline__ void attn_mma_nt_smem(float (&acc)[Tiles][4], const attn_bf16* a_tile, int a_row0, const attn_bf16* b_tile, int lane)
{
#pragma unroll
    for (int ks = 0; ks < ATTN_K_STEPS; ++ks)
    {
        attn_u32 a[4];
        attn_load_a(a, a_tile, a_row0, ks * 16, lane);
        attn_mma_nt_slice(acc, a, b_tile, ks * 16, lane);
    }
}

// out (16 x D) += P · B, P the fp32 accumulator of a 16 x Tiles·8 product (probabilities or score gradients)
// packed to bf16 A fragments, B a k-major smem tile of Tiles·8 rows (V for P·V, K for dS·K, dO and Q for the
// transposed products of the dK/dV kernel). The inner loop is written out rather than shared with
// attn_mma_nt_slice: routed through one function, ptxas gives the D = 128 dK/dV kernel 8 more registers on sm_80.
template <int Tiles>
__device__ __forceinline__ void attn_mma_pv(float (&out)[ATTN_D_TILES][4], const float (&p)[Tiles][4], const attn_bf16* b_tile, int lane)
{
#pragma unroll
    for (int j = 0; j < Tiles / 2; ++j)
    {
        attn_u32 a[4];
        attn_pack_a(a, p[2 * j], p[2 * j + 1]);
#pragma unroll
        for (int n = 0; n < ATTN_HEAD_DIM / 16; ++n)
        {
            attn_u32 b[4];
            attn_load_b_kmajor(b, b_tile, j * 16, n * 16, lane);
            attn_mma(out[2 * n], a, b[0], b[1]);
            attn_mma(out[2 * n + 1], a, b[2], b[3]);
        }
    }
}

// Writes accumulator row r (0: the lane's quad row, 1: that row + 8) of a 16 x D accumulator, times factor, as
// bf16 to row (the head's first element); columns at or past head_dim are not written.
__device__ __forceinline__ void attn_store_row(attn_bf16* row, const float (&acc)[ATTN_D_TILES][4], int r, float factor, int quad_col, int head_dim)
{
#pragma unroll
    for (int n = 0; n < ATTN_D_TILES; ++n)
    {
        const int col = n * 8 + quad_col;
        if (col < head_dim) *(attn_u32*)(row + col) = attn_pack_bf16x2(acc[n][2 * r] * factor, acc[n][2 * r + 1] * factor);
    }
}
