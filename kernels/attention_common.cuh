// Helpers shared by the attention kernels (attention.cu, attention_bwd.cu). No CUDA headers: bf16 is carried
// as raw 16-bit patterns, and the few instructions needed (bf16 packing, exp2/log2, shuffles, ldmatrix,
// mma.sync, cp.async) are written as inline PTX. Everything here is sm_80+.
//
// Compile-time geometry: ATTN_HEAD_DIM is the head dimension padded up to a multiple of 16 (16…128); the
// loader compiles one module per padded size and passes the real head_dim (a multiple of 8) at launch.
// Shared-memory tiles are row-major with ATTN_SMEM_STRIDE = ATTN_HEAD_DIM + 8 elements per row: the 16-byte
// skew puts the 8 rows one ldmatrix reads in 8 different bank groups.
#pragma once

#ifndef ATTN_HEAD_DIM
#define ATTN_HEAD_DIM 128
#endif

#if (ATTN_HEAD_DIM % 16) != 0 || ATTN_HEAD_DIM < 16 || ATTN_HEAD_DIM > 128
#error "ATTN_HEAD_DIM must be a multiple of 16 in [16, 128]"
#endif

#define ATTN_SMEM_STRIDE (ATTN_HEAD_DIM + 8)
#define ATTN_K_STEPS (ATTN_HEAD_DIM / 16)   // 16-wide slices of the head dim (mma k steps over D)
#define ATTN_D_TILES (ATTN_HEAD_DIM / 8)    // 8-wide column tiles of an accumulator over D
#define ATTN_LOG2E 1.4426950408889634f
#define ATTN_LN2 0.6931471805599453f

typedef unsigned short attn_bf16;
typedef unsigned int attn_u32;

// Each helper below that holds PTX has a C++ twin for the CPU stand-in of the CUDA stack (tests/cuda-standin),
// selected by SA_CUDA_STANDIN, which only that stand-in defines.

__device__ __forceinline__ float attn_neg_inf()
{
#ifdef SA_CUDA_STANDIN
    return sa_ptx_mov_b32_f32(0xff800000u);
#else
    float x;
    asm("mov.b32 %0, 0xff800000;" : "=f"(x));
    return x;
#endif
}

__device__ __forceinline__ int attn_min(int a, int b) { return a < b ? a : b; }
__device__ __forceinline__ int attn_max(int a, int b) { return a > b ? a : b; }
__device__ __forceinline__ float attn_fmax(float a, float b)
{
#ifdef SA_CUDA_STANDIN
    return sa_ptx_max_f32(a, b);
#else
    float r;
    asm("max.f32 %0, %1, %2;" : "=f"(r) : "f"(a), "f"(b));
    return r;
#endif
}

__device__ __forceinline__ float attn_bf16_to_float(attn_bf16 bits)
{
#ifdef SA_CUDA_STANDIN
    return sa_ptx_mov_b32_f32(((attn_u32)bits) << 16);
#else
    float x;
    asm("mov.b32 %0, %1;" : "=f"(x) : "r"(((attn_u32)bits) << 16));
    return x;
#endif
}

// Two floats to a bf16x2 word, round to nearest even; lo lands in the low half (the lower column index).
__device__ __forceinline__ attn_u32 attn_pack_bf16x2(float lo, float hi)
{
#ifdef SA_CUDA_STANDIN
    return sa_ptx_cvt_rn_bf16x2_f32(hi, lo);
#else
    attn_u32 r;
    asm("cvt.rn.bf16x2.f32 %0, %1, %2;" : "=r"(r) : "f"(hi), "f"(lo));
    return r;
#endif
}

__device__ __forceinline__ float attn_exp2(float x)
{
#ifdef SA_CUDA_STANDIN
    return sa_ptx_ex2_approx_ftz(x);
#else
    float r;
    asm("ex2.approx.ftz.f32 %0, %1;" : "=f"(r) : "f"(x));
    return r;
#endif
}

__device__ __forceinline__ float attn_log2(float x)
{
#ifdef SA_CUDA_STANDIN
    return sa_ptx_lg2_approx_ftz(x);
#else
    float r;
    asm("lg2.approx.ftz.f32 %0, %1;" : "=f"(r) : "f"(x));
    return r;
#endif
}

__device__ __forceinline__ float attn_shfl_xor(float x, int mask)
{
#ifdef SA_CUDA_STANDIN
    return sa_ptx_shfl_sync_bfly(x, mask, 0x1f, 0xffffffffu);
#else
    float r;
    asm volatile("shfl.sync.bfly.b32 %0, %1, %2, 0x1f, 0xffffffff;" : "=f"(r) : "f"(x), "r"(mask));
    return r;
#endif
}

// Reductions over the 4 lanes of a quad: the lanes that hold one accumulator row of an m16n8 tile.
__device__ __forceinline__ float attn_quad_max(float x)
{
    x = attn_fmax(x, attn_shfl_xor(x, 1));
    return attn_fmax(x, attn_shfl_xor(x, 2));
}

__device__ __forceinline__ float attn_quad_sum(float x)
{
    x += attn_shfl_xor(x, 1);
    return x + attn_shfl_xor(x, 2);
}

__device__ __forceinline__ float attn_warp_sum(float x)
{
    for (int mask = 16; mask > 0; mask >>= 1) x += attn_shfl_xor(x, mask);
    return x;
}

__device__ __forceinline__ attn_u32 attn_smem_address(const void* p)
{
#ifdef SA_CUDA_STANDIN
    return sa_ptx_cvta_to_shared(p);
#else
    attn_u32 address;
    asm("{ .reg .u64 a; cvta.to.shared.u64 a, %1; cvt.u32.u64 %0, a; }" : "=r"(address) : "l"(p));
    return address;
#endif
}

// 16-byte global→shared copy that bypasses L1; src_bytes = 0 writes zeros (rows past a segment, padded columns).
__device__ __forceinline__ void attn_cp_async_16(attn_bf16* smem, const attn_bf16* global, int src_bytes)
{
#ifdef SA_CUDA_STANDIN
    sa_ptx_cp_async_cg_16(smem, global, src_bytes);
#else
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;" ::"r"(attn_smem_address(smem)), "l"(global), "r"(src_bytes));
#endif
}

__device__ __forceinline__ void attn_cp_async_commit()
{
#ifdef SA_CUDA_STANDIN
    sa_ptx_cp_async_commit_group();
#else
    asm volatile("cp.async.commit_group;");
#endif
}

template <int Pending>
__device__ __forceinline__ void attn_cp_async_wait()
{
#ifdef SA_CUDA_STANDIN
    sa_ptx_cp_async_wait_group(Pending);
#else
    asm volatile("cp.async.wait_group %0;" ::"n"(Pending));
#endif
}

// Four 8x8 bf16 matrices; lane l supplies the row address of matrix l/8.
__device__ __forceinline__ void attn_ldmatrix_x4(attn_u32* r, const attn_bf16* smem)
{
#ifdef SA_CUDA_STANDIN
    sa_ptx_ldmatrix(r, 4, false, smem);
#else
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0, %1, %2, %3}, [%4];"
                 : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3]) : "r"(attn_smem_address(smem)));
#endif
}

__device__ __forceinline__ void attn_ldmatrix_x4_trans(attn_u32* r, const attn_bf16* smem)
{
#ifdef SA_CUDA_STANDIN
    sa_ptx_ldmatrix(r, 4, true, smem);
#else
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0, %1, %2, %3}, [%4];"
                 : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3]) : "r"(attn_smem_address(smem)));
#endif
}

// c (16x8 fp32) += a (16x16 bf16, row) · b (16x8 bf16, col).
__device__ __forceinline__ void attn_mma(float* c, const attn_u32* a, attn_u32 b0, attn_u32 b1)
{
#ifdef SA_CUDA_STANDIN
    sa_ptx_mma_m16n8k16_bf16_f32(c, a, b0, b1);
#else
    asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, {%0, %1, %2, %3};"
                 : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
                 : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
#endif
}

// A fragment (16 rows x 16 cols) of a row-major smem tile at (row0, col0).
__device__ __forceinline__ void attn_load_a(attn_u32* a, const attn_bf16* tile, int row0, int col0, int lane)
{
    attn_ldmatrix_x4(a, tile + (row0 + (lane & 15)) * ATTN_SMEM_STRIDE + col0 + (lane >> 4) * 8);
}

// B fragments for two 8-column n tiles when the operand is stored n-major (B[k][n] = tile[n][k], e.g. K for
// Q·Kᵀ): r[0], r[1] serve n rows row0..row0+7 and r[2], r[3] serve row0+8..row0+15, k = col0..col0+15.
__device__ __forceinline__ void attn_load_b_nmajor(attn_u32* r, const attn_bf16* tile, int row0, int col0, int lane)
{
    attn_ldmatrix_x4(r, tile + (row0 + (lane & 7) + ((lane >> 4) << 3)) * ATTN_SMEM_STRIDE + col0 + ((lane >> 3) & 1) * 8);
}

// B fragments when the operand is stored k-major (B[k][n] = tile[k][n], e.g. V for P·V): k = row0..row0+15,
// r[0], r[1] serve n = col0..col0+7 and r[2], r[3] serve col0+8..col0+15.
__device__ __forceinline__ void attn_load_b_kmajor(attn_u32* r, const attn_bf16* tile, int row0, int col0, int lane)
{
    attn_ldmatrix_x4_trans(r, tile + (row0 + (lane & 15)) * ATTN_SMEM_STRIDE + col0 + (lane >> 4) * 8);
}

// Stages `Rows` rows of one head (row stride in elements) into a padded smem tile with cp.async; rows at or
// past valid_rows and columns at or past head_dim (a multiple of 8) are zero-filled.
template <int Rows>
__device__ __forceinline__ void attn_stage_rows(attn_bf16* tile, const attn_bf16* rows, long long row_stride, int valid_rows, int head_dim)
{
    const int chunks_per_row = ATTN_HEAD_DIM / 8;
    for (int c = threadIdx.x; c < Rows * chunks_per_row; c += blockDim.x)
    {
        const int r = c / chunks_per_row;
        const int col = (c % chunks_per_row) * 8;
        const bool inside = r < valid_rows && col < head_dim;
        attn_cp_async_16(tile + r * ATTN_SMEM_STRIDE + col, inside ? rows + r * row_stride + col : rows, inside ? 16 : 0);
    }
}

// Packs the fp32 accumulators of two adjacent 16x8 tiles (keys 16j..16j+15) into a bf16 A fragment.
__device__ __forceinline__ void attn_pack_a(attn_u32* a, const float* left, const float* right)
{
    a[0] = attn_pack_bf16x2(left[0], left[1]);
    a[1] = attn_pack_bf16x2(left[2], left[3]);
    a[2] = attn_pack_bf16x2(right[0], right[1]);
    a[3] = attn_pack_bf16x2(right[2], right[3]);
}
