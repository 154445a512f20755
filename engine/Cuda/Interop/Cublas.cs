using System.Runtime.InteropServices;

namespace StyleAlign.Engine.Cuda.Interop;

/// <summary>cuBLAS and cuBLASLt: the GEMMs. Column-major, as cuBLAS always is.</summary>
public static unsafe partial class Cublas
{
    static Cublas() => NativeLibraries.EnsureResolver();

    public const int Success = 0;

    public const int OpN = 0;
    public const int OpT = 1;

    // cudaDataType
    public const int DataR32F = 0;
    public const int DataR16F = 2;
    public const int DataR16BF = 14;

    // cublasComputeType_t
    public const int Compute32F = 68;
    public const int Compute32FFastTF32 = 77;

    public const int GemmDefault = -1;
    public const int DefaultMath = 0;
    public const int TF32TensorOpMath = 3;

    public const int PropertyMajor = 0;
    public const int PropertyMinor = 1;
    public const int PropertyPatch = 2;

    [LibraryImport(NativeLibraries.CublasName)] public static partial int cublasCreate_v2(IntPtr* handle);
    [LibraryImport(NativeLibraries.CublasName)] public static partial int cublasDestroy_v2(IntPtr handle);
    [LibraryImport(NativeLibraries.CublasName)] public static partial int cublasSetStream_v2(IntPtr handle, IntPtr stream);
    [LibraryImport(NativeLibraries.CublasName)] public static partial int cublasSetWorkspace_v2(IntPtr handle, void* workspace, nuint bytes);
    [LibraryImport(NativeLibraries.CublasName)] public static partial int cublasGetVersion_v2(IntPtr handle, int* version);
    [LibraryImport(NativeLibraries.CublasName)] public static partial int cublasGetProperty(int property, int* value);
    [LibraryImport(NativeLibraries.CublasName)] public static partial int cublasSetMathMode(IntPtr handle, int mode);

    [LibraryImport(NativeLibraries.CublasName)]
    public static partial int cublasGemmEx(IntPtr handle, int transA, int transB, int m, int n, int k,
        void* alpha, ulong a, int aType, int lda, ulong b, int bType, int ldb,
        void* beta, ulong c, int cType, int ldc, int computeType, int algorithm);

    [LibraryImport(NativeLibraries.CublasName)]
    public static partial int cublasGemmStridedBatchedEx(IntPtr handle, int transA, int transB, int m, int n, int k,
        void* alpha, ulong a, int aType, int lda, long strideA, ulong b, int bType, int ldb, long strideB,
        void* beta, ulong c, int cType, int ldc, long strideC, int batchCount, int computeType, int algorithm);

    [LibraryImport(NativeLibraries.CublasLtName)] public static partial int cublasLtCreate(IntPtr* handle);
    [LibraryImport(NativeLibraries.CublasLtName)] public static partial int cublasLtDestroy(IntPtr handle);
    [LibraryImport(NativeLibraries.CublasLtName)] public static partial nuint cublasLtGetVersion();

    /// <summary>"12.4.5", or null when libcublas is absent.</summary>
    public static Version? TryGetVersion()
    {
        if (!NativeLibraries.IsPresent(CudaLibrary.Cublas)) return null;
        int major, minor, patch;
        if (cublasGetProperty(PropertyMajor, &major) != Success) return null;
        if (cublasGetProperty(PropertyMinor, &minor) != Success) return null;
        if (cublasGetProperty(PropertyPatch, &patch) != Success) return null;
        return new Version(major, minor, patch);
    }

    /// <summary>cuBLAS's status names, so errors read as in its documentation.</summary>
    public static string ErrorName(int status) => status switch
    {
        0 => "CUBLAS_STATUS_SUCCESS",
        1 => "CUBLAS_STATUS_NOT_INITIALIZED",
        3 => "CUBLAS_STATUS_ALLOC_FAILED",
        7 => "CUBLAS_STATUS_INVALID_VALUE",
        8 => "CUBLAS_STATUS_ARCH_MISMATCH",
        11 => "CUBLAS_STATUS_MAPPING_ERROR",
        13 => "CUBLAS_STATUS_EXECUTION_FAILED",
        14 => "CUBLAS_STATUS_INTERNAL_ERROR",
        15 => "CUBLAS_STATUS_NOT_SUPPORTED",
        16 => "CUBLAS_STATUS_LICENSE_ERROR",
        _ => $"cublasStatus {status}",
    };
}
