// cublas.cpp — the cuBLAS / cuBLASLt entry points the engine binds, as a plain loop with cuBLAS's documented
// semantics: column-major storage, op(A) = A, Aᵀ (N, T; C is T for real types), leading dimensions, strided batches
// (a stride of 0 broadcasts one matrix), C = alpha·op(A)·op(B) + beta·C with C not read when beta is 0. Types:
// F32 in and out, BF16 or F16 in with BF16/F16 or F32 out; compute always fp32 (TF32 / BF16 "fast" compute types round
// the inputs first). The work is queued on the handle's stream and runs in stream order on the driver stand-in.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <vector>

#define SA_API extern "C" __attribute__((visibility("default")))

typedef struct SaStream* CUstream;
extern "C" int sa_standin_enqueue_host(CUstream stream, void (*function)(void*), void* context);
extern "C" int sa_standin_check_device_range(uint64_t pointer, uint64_t bytes, const char* what);
extern "C" int sa_standin_check_call_range(uint64_t pointer, uint64_t bytes, char* why, int whyLength);

namespace
{
enum : int
{
    CUBLAS_STATUS_SUCCESS = 0,
    CUBLAS_STATUS_NOT_INITIALIZED = 1,
    CUBLAS_STATUS_INVALID_VALUE = 7,
    CUBLAS_STATUS_EXECUTION_FAILED = 13,
    CUBLAS_STATUS_NOT_SUPPORTED = 15,
};
enum : int { R32F = 0, R16F = 2, R16BF = 14 };
enum : int { Compute32F = 68, Compute32FPedantic = 69, Compute32FFast16F = 74, Compute32FFast16BF = 75, Compute32FFastTF32 = 77 };
enum : int { OpN = 0, OpT = 1, OpC = 2 };
constexpr int VersionMajor = 12, VersionMinor = 99, VersionPatch = 0;

struct Handle
{
    CUstream stream = nullptr;
    int mathMode = 0;
};

float fromBits(uint32_t bits)
{
    float f;
    std::memcpy(&f, &bits, 4);
    return f;
}

uint32_t toBits(float f)
{
    uint32_t b;
    std::memcpy(&b, &f, 4);
    return b;
}

float bf16ToFloat(uint16_t h) { return fromBits((uint32_t)h << 16); }

uint16_t floatToBf16(float f)
{
    const uint32_t bits = toBits(f);
    if ((bits & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((bits >> 16) | 0x40u);
    return (uint16_t)((bits + 0x7fffu + ((bits >> 16) & 1u)) >> 16);
}

float halfToFloat(uint16_t h)
{
    const uint32_t sign = (uint32_t)(h & 0x8000u) << 16, exponent = (h >> 10) & 0x1f, mantissa = h & 0x3ff;
    if (exponent == 0x1f) return fromBits(sign | 0x7f800000u | (mantissa << 13));
    if (exponent != 0) return fromBits(sign | ((exponent + 112) << 23) | (mantissa << 13));
    const float magnitude = (float)mantissa * 5.9604644775390625e-8f;
    return sign ? -magnitude : magnitude;
}

uint16_t floatToHalf(float f)
{
    const uint32_t bits = toBits(f), magnitude = bits & 0x7fffffffu;
    const uint16_t sign = (uint16_t)((bits >> 16) & 0x8000u);
    if (magnitude > 0x7f800000u) return 0x7fff;
    if (magnitude >= 0x477ff000u) return (uint16_t)(sign | 0x7c00u);
    if (magnitude >= 0x38800000u) return (uint16_t)(sign | ((magnitude + 0xfffu + ((magnitude >> 13) & 1u) - 0x38000000u) >> 13));
    return (uint16_t)(sign | (uint16_t)std::nearbyint(fromBits(magnitude) * 16777216.0f));
}

// Round to the inputs a "fast" compute type multiplies: TF32 keeps 10 mantissa bits, BF16 keeps 7, F16 is F16.
float roundInput(float v, int computeType)
{
    switch (computeType)
    {
        case Compute32FFastTF32:
        {
            const uint32_t bits = toBits(v);
            if ((bits & 0x7fffffffu) >= 0x7f800000u) return v;
            return fromBits((bits + 0xfffu + ((bits >> 13) & 1u)) & ~0x1fffu);
        }
        case Compute32FFast16BF: return bf16ToFloat(floatToBf16(v));
        case Compute32FFast16F: return halfToFloat(floatToHalf(v));
        default: return v;
    }
}

unsigned elementBytes(int type) { return type == R32F ? 4 : 2; }

float load(const void* base, int type, int64_t index)
{
    switch (type)
    {
        case R32F: return static_cast<const float*>(base)[index];
        case R16BF: return bf16ToFloat(static_cast<const uint16_t*>(base)[index]);
        default: return halfToFloat(static_cast<const uint16_t*>(base)[index]);
    }
}

void store(void* base, int type, int64_t index, float v)
{
    switch (type)
    {
        case R32F: static_cast<float*>(base)[index] = v; break;
        case R16BF: static_cast<uint16_t*>(base)[index] = floatToBf16(v); break;
        default: static_cast<uint16_t*>(base)[index] = floatToHalf(v); break;
    }
}

struct Gemm
{
    int transA, transB, m, n, k;
    float alpha, beta;
    uint64_t a, b, c;
    int aType, bType, cType, lda, ldb, ldc;
    int64_t strideA, strideB, strideC;
    int batch, computeType;
};

// Bytes from the first to one past the last element an operand of `rows` x `cols` (column-major, leading dimension ld)
// touches over all batches.
uint64_t extent(int rows, int cols, int ld, int64_t stride, int batch, int type)
{
    if (rows == 0 || cols == 0 || batch == 0) return 0;
    const int64_t last = (int64_t)(cols - 1) * ld + (rows - 1) + (batch > 1 ? stride * (batch - 1) : 0);
    return (uint64_t)(last + 1) * elementBytes(type);
}

void execute(void* context)
{
    const Gemm* g = static_cast<Gemm*>(context);
    const int aRows = g->transA == OpN ? g->m : g->k, aCols = g->transA == OpN ? g->k : g->m;
    const int bRows = g->transB == OpN ? g->k : g->n, bCols = g->transB == OpN ? g->n : g->k;
    const bool ok = (g->k == 0 || sa_standin_check_device_range(g->a, extent(aRows, aCols, g->lda, g->strideA, g->batch, g->aType), "cuBLAS GEMM operand A")) &&
                    (g->k == 0 || sa_standin_check_device_range(g->b, extent(bRows, bCols, g->ldb, g->strideB, g->batch, g->bType), "cuBLAS GEMM operand B")) &&
                    sa_standin_check_device_range(g->c, extent(g->m, g->n, g->ldc, g->strideC, g->batch, g->cType), "cuBLAS GEMM operand C");
    if (ok)
    {
        std::vector<float> opA((size_t)g->m * g->k), opB((size_t)g->k * g->n); // op(A) row i contiguous; op(B) column j contiguous
        for (int batch = 0; batch < g->batch; ++batch)
        {
            const void* a = reinterpret_cast<const void*>(g->a + (uint64_t)(g->strideA * batch) * elementBytes(g->aType));
            const void* b = reinterpret_cast<const void*>(g->b + (uint64_t)(g->strideB * batch) * elementBytes(g->bType));
            void* c = reinterpret_cast<void*>(g->c + (uint64_t)(g->strideC * batch) * elementBytes(g->cType));
            for (int i = 0; i < g->m; ++i)
                for (int p = 0; p < g->k; ++p)
                {
                    const int64_t index = g->transA == OpN ? (int64_t)p * g->lda + i : (int64_t)i * g->lda + p;
                    opA[(size_t)i * g->k + p] = roundInput(load(a, g->aType, index), g->computeType);
                }
            for (int j = 0; j < g->n; ++j)
                for (int p = 0; p < g->k; ++p)
                {
                    const int64_t index = g->transB == OpN ? (int64_t)j * g->ldb + p : (int64_t)p * g->ldb + j;
                    opB[(size_t)j * g->k + p] = roundInput(load(b, g->bType, index), g->computeType);
                }
            for (int j = 0; j < g->n; ++j)
                for (int i = 0; i < g->m; ++i)
                {
                    float sum = 0.0f;
                    const float* row = &opA[(size_t)i * g->k];
                    const float* column = &opB[(size_t)j * g->k];
                    for (int p = 0; p < g->k; ++p) sum += row[p] * column[p];
                    const int64_t index = (int64_t)j * g->ldc + i;
                    const float previous = g->beta == 0.0f ? 0.0f : g->beta * load(c, g->cType, index);
                    store(c, g->cType, index, g->alpha * sum + previous);
                }
        }
    }
    delete g;
}

bool supported(int aType, int bType, int cType, int computeType)
{
    if (aType != bType) return false;
    const bool compute32 = computeType == Compute32F || computeType == Compute32FPedantic || computeType == Compute32FFastTF32 ||
                           computeType == Compute32FFast16BF || computeType == Compute32FFast16F;
    if (!compute32) return false;
    if (aType == R32F) return cType == R32F;
    if (aType == R16BF || aType == R16F) return cType == aType || cType == R32F;
    return false;
}

int gemm(void* handle, int transA, int transB, int m, int n, int k, const float* alpha, uint64_t a, int aType, int lda,
         int64_t strideA, uint64_t b, int bType, int ldb, int64_t strideB, const float* beta, uint64_t c, int cType, int ldc,
         int64_t strideC, int batch, int computeType)
{
    auto* h = static_cast<Handle*>(handle);
    if (h == nullptr) return CUBLAS_STATUS_NOT_INITIALIZED;
    const auto op = [](int t) { return t == OpN || t == OpT || t == OpC; };
    if (!op(transA) || !op(transB) || m < 0 || n < 0 || k < 0 || batch < 0 || alpha == nullptr || beta == nullptr)
        return CUBLAS_STATUS_INVALID_VALUE;
    transA = transA == OpN ? OpN : OpT;
    transB = transB == OpN ? OpN : OpT;
    if (lda < std::max(1, transA == OpN ? m : k) || ldb < std::max(1, transB == OpN ? k : n) || ldc < std::max(1, m))
        return CUBLAS_STATUS_INVALID_VALUE;
    if (!supported(aType, bType, cType, computeType)) return CUBLAS_STATUS_NOT_SUPPORTED;
    if (m == 0 || n == 0 || batch == 0) return CUBLAS_STATUS_SUCCESS;
    auto* g = new Gemm{transA, transB, m, n, k, *alpha, *beta, a, b, c, aType, bType, cType, lda, ldb, ldc,
                       strideA, strideB, strideC, batch, computeType};
    if (sa_standin_enqueue_host(h->stream, &execute, g) != 0)
    {
        delete g;
        return CUBLAS_STATUS_EXECUTION_FAILED;
    }
    return CUBLAS_STATUS_SUCCESS;
}
} // namespace

SA_API int cublasCreate_v2(void** handle)
{
    if (handle == nullptr) return CUBLAS_STATUS_INVALID_VALUE;
    *handle = new Handle();
    return CUBLAS_STATUS_SUCCESS;
}

SA_API int cublasDestroy_v2(void* handle)
{
    if (handle == nullptr) return CUBLAS_STATUS_NOT_INITIALIZED;
    delete static_cast<Handle*>(handle);
    return CUBLAS_STATUS_SUCCESS;
}

SA_API int cublasSetStream_v2(void* handle, CUstream stream)
{
    if (handle == nullptr) return CUBLAS_STATUS_NOT_INITIALIZED;
    static_cast<Handle*>(handle)->stream = stream;
    return CUBLAS_STATUS_SUCCESS;
}

SA_API int cublasGetStream_v2(void* handle, CUstream* stream)
{
    if (handle == nullptr) return CUBLAS_STATUS_NOT_INITIALIZED;
    if (stream == nullptr) return CUBLAS_STATUS_INVALID_VALUE;
    *stream = static_cast<Handle*>(handle)->stream;
    return CUBLAS_STATUS_SUCCESS;
}

SA_API int cublasSetWorkspace_v2(void* handle, void* workspace, size_t bytes)
{
    if (handle == nullptr) return CUBLAS_STATUS_NOT_INITIALIZED;
    if (bytes > 0 && (workspace == nullptr || sa_standin_check_call_range((uint64_t)workspace, bytes, nullptr, 0) != 0))
        return CUBLAS_STATUS_INVALID_VALUE;
    return CUBLAS_STATUS_SUCCESS;
}

SA_API int cublasGetVersion_v2(void* handle, int* version)
{
    if (handle == nullptr) return CUBLAS_STATUS_NOT_INITIALIZED;
    if (version == nullptr) return CUBLAS_STATUS_INVALID_VALUE;
    *version = VersionMajor * 10000 + VersionMinor * 100 + VersionPatch;
    return CUBLAS_STATUS_SUCCESS;
}

SA_API int cublasGetProperty(int property, int* value)
{
    if (value == nullptr) return CUBLAS_STATUS_INVALID_VALUE;
    switch (property)
    {
        case 0: *value = VersionMajor; return CUBLAS_STATUS_SUCCESS;
        case 1: *value = VersionMinor; return CUBLAS_STATUS_SUCCESS;
        case 2: *value = VersionPatch; return CUBLAS_STATUS_SUCCESS;
        default: return CUBLAS_STATUS_INVALID_VALUE;
    }
}

SA_API int cublasSetMathMode(void* handle, int mode)
{
    if (handle == nullptr) return CUBLAS_STATUS_NOT_INITIALIZED;
    static_cast<Handle*>(handle)->mathMode = mode;
    return CUBLAS_STATUS_SUCCESS;
}

SA_API int cublasGetMathMode(void* handle, int* mode)
{
    if (handle == nullptr) return CUBLAS_STATUS_NOT_INITIALIZED;
    if (mode == nullptr) return CUBLAS_STATUS_INVALID_VALUE;
    *mode = static_cast<Handle*>(handle)->mathMode;
    return CUBLAS_STATUS_SUCCESS;
}

SA_API int cublasGemmEx(void* handle, int transA, int transB, int m, int n, int k, const void* alpha, uint64_t a, int aType,
                        int lda, uint64_t b, int bType, int ldb, const void* beta, uint64_t c, int cType, int ldc, int computeType,
                        int algorithm)
{
    (void)algorithm;
    return gemm(handle, transA, transB, m, n, k, static_cast<const float*>(alpha), a, aType, lda, 0, b, bType, ldb, 0,
                static_cast<const float*>(beta), c, cType, ldc, 0, 1, computeType);
}

SA_API int cublasGemmStridedBatchedEx(void* handle, int transA, int transB, int m, int n, int k, const void* alpha, uint64_t a,
                                      int aType, int lda, int64_t strideA, uint64_t b, int bType, int ldb, int64_t strideB,
                                      const void* beta, uint64_t c, int cType, int ldc, int64_t strideC, int batch,
                                      int computeType, int algorithm)
{
    (void)algorithm;
    return gemm(handle, transA, transB, m, n, k, static_cast<const float*>(alpha), a, aType, lda, strideA, b, bType, ldb, strideB,
                static_cast<const float*>(beta), c, cType, ldc, strideC, batch, computeType);
}

SA_API int cublasLtCreate(void** handle)
{
    if (handle == nullptr) return CUBLAS_STATUS_INVALID_VALUE;
    *handle = new Handle();
    return CUBLAS_STATUS_SUCCESS;
}

SA_API int cublasLtDestroy(void* handle)
{
    if (handle == nullptr) return CUBLAS_STATUS_NOT_INITIALIZED;
    delete static_cast<Handle*>(handle);
    return CUBLAS_STATUS_SUCCESS;
}

SA_API size_t cublasLtGetVersion() { return (size_t)(VersionMajor * 10000 + VersionMinor * 100 + VersionPatch); }
