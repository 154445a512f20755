// index.cu — row/element gathers and their deterministic scatter-add adjoints.
//   index_select_rows:    out[m, c] = src[idx[m], c]          src [N, C], idx i64 [M], out [M, C]
//   index_gather_lastdim: out[r, k] = src[r, idx[r, k]]       src [R, N], idx i64 [R, K], out [R, K]
//   index_scatter_add_rows: dst[idx[m], c] += src[m, c]       dst [N, C], src [M, C]
//       Deterministic without sorting: thread (c, bucket) owns column c of the destination rows whose index
//       falls in its bucket, and walks m = 0..M-1 in order, so every sum has one fixed order.
//       Launch grid = (ceil(C/256), buckets), block = 256; more buckets = more parallelism, M reads per bucket.
//   index_scatter_add_lastdim: dst[r, idx[r, k]] += src[r, k]; one thread per row walks k in order.
// An index outside [0, N) reads as 0 (gathers) or is skipped (scatters) and sets *badIndex = 1 when badIndex is
// non-null, so the host can raise an error naming the tensor. The gathers move f32 or bf16 words bit for bit; the
// scatters exist in f32 only, because each addition stores its sum: a bf16 destination would be rounded after every
// addition, so the host widens a bf16 scatter to f32 and rounds once at the end.
#include "common.cuh"

__device__ __forceinline__ bool index_ok(i64 index, i64 limit, int* badIndex)
{
    if (index >= 0 && index < limit) return true;
    if (badIndex) *badIndex = 1;
    return false;
}

template <typename T>
__device__ void select_rows(i64 m, i64 c, i64 n, const T* src, const i64* idx, T* out, int* badIndex)
{
    for (i64 i = global_thread_index(); i < m * c; i += grid_stride())
    {
        const i64 row = i / c, col = i % c;
        const i64 index = idx[row];
        if (index_ok(index, n, badIndex)) out[i] = src[index * c + col];
        else store_f(out + i, 0.0f);
    }
}

template <typename T>
__device__ void gather_lastdim(i64 r, i64 n, i64 k, const T* src, const i64* idx, T* out, int* badIndex)
{
    for (i64 i = global_thread_index(); i < r * k; i += grid_stride())
    {
        const i64 row = i / k;
        const i64 index = idx[i];
        if (index_ok(index, n, badIndex)) out[i] = src[row * n + index];
        else store_f(out + i, 0.0f);
    }
}

template <typename T>
__device__ void scatter_add_rows(i64 m, i64 c, i64 n, const T* src, const i64* idx, T* dst, int* badIndex)
{
    const i64 col = (i64)blockIdx.x * blockDim.x + threadIdx.x;
    if (col >= c) return;
    const i64 buckets = gridDim.y;
    const i64 first = n * blockIdx.y / buckets, last = n * (blockIdx.y + 1) / buckets;
    for (i64 row = 0; row < m; ++row)
    {
        const i64 index = idx[row];
        if (index < first || index >= last)
        {
            if (blockIdx.y == 0 && !(index >= 0 && index < n) && badIndex) *badIndex = 1;
            continue;
        }
        T* target = dst + index * c + col;
        store_f(target, load_f(target) + load_f(src + row * c + col));
    }
}

template <typename T>
__device__ void scatter_add_lastdim(i64 r, i64 n, i64 k, const T* src, const i64* idx, T* dst, int* badIndex)
{
    const i64 row = global_thread_index();
    if (row >= r) return;
    for (i64 j = 0; j < k; ++j)
    {
        const i64 index = idx[row * k + j];
        if (!index_ok(index, n, badIndex)) continue;
        T* target = dst + row * n + index;
        store_f(target, load_f(target) + load_f(src + row * k + j));
    }
}

// ---- instantiations -------------------------------------------------------------------------------
#define SA_INDEX_MOVE(T, NAME)                                                                                     \
    extern "C" __global__ void index_select_rows_##NAME(i64 m, i64 c, i64 n, const T* src, const i64* idx, T* out, int* bad) \
    { select_rows<T>(m, c, n, src, idx, out, bad); }                                                               \
    extern "C" __global__ void index_gather_lastdim_##NAME(i64 r, i64 n, i64 k, const T* src, const i64* idx, T* out, int* bad) \
    { gather_lastdim<T>(r, n, k, src, idx, out, bad); }

SA_INDEX_MOVE(float, f32)
SA_INDEX_MOVE(bf16, bf16)

extern "C" __global__ void index_scatter_add_rows_f32(i64 m, i64 c, i64 n, const float* src, const i64* idx, float* dst, int* bad)
{
    scatter_add_rows<float>(m, c, n, src, idx, dst, bad);
}

extern "C" __global__ void index_scatter_add_lastdim_f32(i64 r, i64 n, i64 k, const float* src, const i64* idx, float* dst, int* bad)
{
    scatter_add_lastdim<float>(r, n, k, src, idx, dst, bad);
}
