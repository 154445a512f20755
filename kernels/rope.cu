// rope.cu — rotary position embedding, rotate-half (NeoX split-halves) convention, forward and backward.
//   x: [B, H, T, D] read through strides (sb, sh, st; the D axis is dense) so a transposed view of a
//   [B, T, H*D] projection needs no copy; y: dense [B, H, T, D]; cos, sin: dense [B, T, D] (the host builds
//   them — M-RoPE's t/h/w sections are just a different table). With h = D/2, for d < h:
//     fwd: y[d]     = x[d] * cos[d]         - x[d + h] * sin[d]
//          y[d + h] = x[d + h] * cos[d + h] + x[d] * sin[d + h]
//     bwd: dx[d]     = dy[d] * cos[d]         + dy[d + h] * sin[d + h]
//          dx[d + h] = dy[d + h] * cos[d + h] - dy[d] * sin[d]
// round_products = 1 reproduces a bf16 model in Hugging Face's text decoder: each product and the sum are rounded
// to T (cos/sin are already T). round_products = 0 computes in fp32 and rounds once (HF's vision tower, f32).
// No accumulation. Launch: grid-stride over B*H*T*h pairs, e.g. grid = min(ceil(n/256), 65535*8), block = 256.
#include "common.cuh"

template <typename T>
__device__ void rope_apply(i64 b, i64 heads, i64 t, i64 d, i64 sb, i64 sh, i64 st, const T* x, const T* cosT,
                           const T* sinT, T* y, int roundProducts, bool backward)
{
    const i64 half = d / 2;
    const i64 pairs = b * heads * t * half;
    for (i64 i = global_thread_index(); i < pairs; i += grid_stride())
    {
        const i64 k = i % half;
        i64 rest = i / half;
        const i64 ti = rest % t; rest /= t;
        const i64 hi = rest % heads;
        const i64 bi = rest / heads;
        const T* xr = x + bi * sb + hi * sh + ti * st;
        const i64 table = (bi * t + ti) * d;
        const float x1 = load_f(xr + k), x2 = load_f(xr + k + half);
        const float c1 = load_f(cosT + table + k), c2 = load_f(cosT + table + k + half);
        const float s1 = load_f(sinT + table + k), s2 = load_f(sinT + table + k + half);
        float p1, q1, p2, q2;
        if (!backward) { p1 = x1 * c1; q1 = -x2 * s1; p2 = x2 * c2; q2 = x1 * s2; }
        else { p1 = x1 * c1; q1 = x2 * s2; p2 = x2 * c2; q2 = -x1 * s1; }
        if (roundProducts) { p1 = round_to<T>(p1); q1 = round_to<T>(q1); p2 = round_to<T>(p2); q2 = round_to<T>(q2); }
        T* yr = y + ((bi * heads + hi) * t + ti) * d;
        store_f(yr + k, p1 + q1);
        store_f(yr + k + half, p2 + q2);
    }
}

// ---- instantiations -------------------------------------------------------------------------------
#define SA_ROPE(T, NAME)                                                                                           \
    extern "C" __global__ void rope_fwd_##NAME(i64 b, i64 h, i64 t, i64 d, i64 sb, i64 sh, i64 st, const T* x,    \
        const T* cosT, const T* sinT, T* y, int roundProducts)                                                     \
    { rope_apply<T>(b, h, t, d, sb, sh, st, x, cosT, sinT, y, roundProducts, false); }                             \
    extern "C" __global__ void rope_bwd_##NAME(i64 b, i64 h, i64 t, i64 d, i64 sb, i64 sh, i64 st, const T* dy,   \
        const T* cosT, const T* sinT, T* dx, int roundProducts)                                                    \
    { rope_apply<T>(b, h, t, d, sb, sh, st, dy, cosT, sinT, dx, roundProducts, true); }

SA_ROPE(float, f32)
SA_ROPE(bf16, bf16)
