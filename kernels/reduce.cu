// reduce.cu — reductions over the last dim of a dense [R, N] input (one block per row).
//   sum, mean, max, min, logsumexp, sumsq:  y[r] = op_j x[r, j]      y is fp32 [R] for sum/mean/logsumexp/sumsq,
//                                                                     the storage type for max/min
//   argmax:                                 y[r] = first j with x[r, j] == max (i64 [R]); NaN counts as the max
// Any other dim is reduced by first gathering a permuted view with tensor_copy_* so the reduced
// dim is last. Accumulation: fp32; each thread sums a fixed strided subset of the row, then a fixed-shape tree
// (warp shuffles, then one warp over the warp partials). No atomics, so results are bit-identical run to run.
// Launch: grid = R, block = 256 (any multiple of 32 up to 1024). A long single row (a global gradient norm) is
// reduced in two launches — view [N] as [R, N/R], reduce rows, then reduce the R partials — still deterministic.
#include "common.cuh"

enum ReduceOp { R_SUM = 0, R_MEAN = 1, R_MAX = 2, R_MIN = 3, R_LOGSUMEXP = 4, R_SUMSQ = 5 };

template <typename T>
__device__ float row_sum(const T* row, i64 n, bool squared, float* scratch)
{
    float acc = 0.0f;
    for (i64 j = threadIdx.x; j < n; j += blockDim.x) { const float v = load_f(row + j); acc += squared ? v * v : v; }
    return block_sum(acc, scratch);
}

template <typename T>
__device__ float row_max(const T* row, i64 n, float* scratch)
{
    float acc = SA_NEG_INFINITY;
    bool nan = false;
    for (i64 j = threadIdx.x; j < n; j += blockDim.x) { const float v = load_f(row + j); nan |= v != v; acc = fmaxf(acc, v); }
    acc = block_max(nan ? SA_INFINITY : acc, scratch); // flag NaN through the max, then restore below
    const float anyNan = block_sum(nan ? 1.0f : 0.0f, scratch);
    return anyNan > 0.0f ? SA_NAN : acc;
}

template <typename T>
__device__ void reduce_row(int op, i64 n, const T* x, void* y)
{
    __shared__ float scratch[32];
    const i64 r = blockIdx.x;
    const T* row = x + r * n;
    float result;
    switch (op)
    {
        case R_SUM: result = row_sum(row, n, false, scratch); break;
        case R_MEAN: result = row_sum(row, n, false, scratch) / (float)n; break;
        case R_SUMSQ: result = row_sum(row, n, true, scratch); break;
        case R_MAX: result = row_max(row, n, scratch); break;
        case R_MIN:
        {
            float acc = SA_INFINITY;
            bool nan = false;
            for (i64 j = threadIdx.x; j < n; j += blockDim.x) { const float v = load_f(row + j); nan |= v != v; acc = fminf(acc, v); }
            acc = -block_max(-acc, scratch);
            result = block_sum(nan ? 1.0f : 0.0f, scratch) > 0.0f ? SA_NAN : acc;
            break;
        }
        case R_LOGSUMEXP:
        {
            const float m = row_max(row, n, scratch);
            if (m == SA_NEG_INFINITY || m == SA_INFINITY || m != m) { result = m; break; }
            float acc = 0.0f;
            for (i64 j = threadIdx.x; j < n; j += blockDim.x) acc += expf(load_f(row + j) - m);
            result = m + logf(block_sum(acc, scratch));
            break;
        }
        default: result = SA_NAN;
    }
    if (threadIdx.x != 0) return;
    if (op == R_MAX || op == R_MIN) store_f((T*)y + r, result);
    else ((float*)y)[r] = result;
}

// First index of the maximum; a NaN wins (first NaN), as torch.argmax.
template <typename T>
__device__ void argmax_row(i64 n, const T* x, i64* y)
{
    __shared__ float bestValues[32];
    __shared__ i64 bestIndices[32];
    const T* row = x + (i64)blockIdx.x * n;
    float best = SA_NEG_INFINITY;
    i64 bestIndex = n; // sentinel: larger than any index
    for (i64 j = threadIdx.x; j < n; j += blockDim.x)
    {
        const float v = load_f(row + j);
        const bool better = (v != v) ? !(best != best) : (v > best);
        if (better) { best = v; bestIndex = j; }
    }
    // (value, index) pairs combine by: NaN first, then larger value, then smaller index.
    for (int offset = 16; offset > 0; offset >>= 1)
    {
        const float otherValue = __shfl_xor_sync(SA_FULL_MASK, best, offset);
        const i64 otherIndex = __shfl_xor_sync(SA_FULL_MASK, bestIndex, offset);
        const bool otherNan = otherValue != otherValue, mineNan = best != best;
        const bool takeOther = otherNan != mineNan ? otherNan
                             : (otherValue == best || (otherNan && mineNan)) ? otherIndex < bestIndex
                             : otherValue > best;
        if (takeOther) { best = otherValue; bestIndex = otherIndex; }
    }
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    if (lane == 0) { bestValues[warp] = best; bestIndices[warp] = bestIndex; }
    __syncthreads();
    if (threadIdx.x != 0) return;
    best = bestValues[0];
    bestIndex = bestIndices[0];
    for (int w = 1; w < (int)(blockDim.x >> 5); ++w)
    {
        const float v = bestValues[w];
        const bool vNan = v != v, bNan = best != best;
        const bool take = vNan != bNan ? vNan : (v == best || (vNan && bNan)) ? bestIndices[w] < bestIndex : v > best;
        if (take) { best = v; bestIndex = bestIndices[w]; }
    }
    y[blockIdx.x] = bestIndex == n ? 0 : bestIndex;
}

// ---- instantiations -------------------------------------------------------------------------------
extern "C" __global__ void reduce_lastdim_f32(int op, i64 n, const float* x, void* y) { reduce_row<float>(op, n, x, y); }
extern "C" __global__ void reduce_lastdim_bf16(int op, i64 n, const bf16* x, void* y) { reduce_row<bf16>(op, n, x, y); }
extern "C" __global__ void reduce_argmax_f32(i64 n, const float* x, i64* y) { argmax_row<float>(n, x, y); }
extern "C" __global__ void reduce_argmax_bf16(i64 n, const bf16* x, i64* y) { argmax_row<bf16>(n, x, y); }
