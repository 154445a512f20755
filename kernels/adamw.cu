// adamw.cu — one fused AdamW step over a flat parameter tensor of n elements (PyTorch's AdamW, decoupled decay).
//   g  = grad * gradScale                                  (gradScale carries global-norm clipping / accumulation)
//   p  = p * (1 - lr * weightDecay)
//   m  = beta1 * m + (1 - beta1) * g
//   v  = beta2 * v + (1 - beta2) * g²
//   p  = p - (lr / biasCorrection1) * m / (sqrt(v) / sqrt(biasCorrection2) + eps)
// with biasCorrection1 = 1 - beta1^step, biasCorrection2 = 1 - beta2^step computed on the host in double.
// p (fp32 master weights), m, v: fp32 [n]; grad: f32 or bf16 [n]; weightsOut: optional bf16 [n] copy of the
// updated p for the bf16 forward (nullptr to skip). Pointwise, no accumulation. Launch: grid-stride, block 256.
#include "common.cuh"

template <typename G>
__device__ void adamw_step(i64 n, float* p, const G* grad, float* m, float* v, float lr, float beta1, float beta2,
                           float eps, float weightDecay, float biasCorrection1, float biasCorrection2, float gradScale,
                           bf16* weightsOut)
{
    const float stepSize = lr / biasCorrection1;
    const float sqrtCorrection2 = sqrtf(biasCorrection2);
    for (i64 i = global_thread_index(); i < n; i += grid_stride())
    {
        const float g = load_f(grad + i) * gradScale;
        float param = p[i] * (1.0f - lr * weightDecay);
        const float m1 = beta1 * m[i] + (1.0f - beta1) * g;
        const float v1 = beta2 * v[i] + (1.0f - beta2) * g * g;
        param -= stepSize * m1 / (sqrtf(v1) / sqrtCorrection2 + eps);
        p[i] = param;
        m[i] = m1;
        v[i] = v1;
        if (weightsOut) store_f(weightsOut + i, param);
    }
}

// ---- instantiations -------------------------------------------------------------------------------
#define SA_ADAMW(G, NAME)                                                                                          \
    extern "C" __global__ void adamw_step_##NAME(i64 n, float* p, const G* grad, float* m, float* v, float lr,    \
        float beta1, float beta2, float eps, float weightDecay, float biasCorrection1, float biasCorrection2,       \
        float gradScale, bf16* weightsOut)                                                                         \
    { adamw_step<G>(n, p, grad, m, v, lr, beta1, beta2, eps, weightDecay, biasCorrection1, biasCorrection2, gradScale, weightsOut); }

SA_ADAMW(float, f32)
SA_ADAMW(bf16, bf16)
