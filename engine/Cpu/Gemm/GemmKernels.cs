using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace StyleAlign.Engine.Cpu;

/// <summary>Which register-tiled micro-kernel a GEMM runs; <see cref="Auto"/> picks the widest the hardware accelerates.</summary>
internal enum GemmKernelKind
{
    Auto,
    Vector512,
    Vector256,
    Scalar,
}

/// <summary>
/// Micro-kernels: C[MR×NR] += Apanel[MR×kc] · Bpanel[kc×NR], reading A packed column by column (MR values per k)
/// and B packed row by row (NR values per k). The accumulators are plain locals so the JIT keeps them in
/// registers; arrays of vectors would spill to the stack.
/// </summary>
internal static unsafe class GemmKernels
{
    /// <summary>Rows of C per micro-tile for the vector kernels: 6 rows × 2 vectors = 12 accumulators,
    /// leaving registers for the two B vectors and the A broadcast even with 16 AVX2 registers.</summary>
    public const int VectorRows = 6;

    public const int ScalarRows = 4;
    public const int ScalarColumns = 4;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<T> Fma<T>(Vector512<T> a, Vector512<T> b, Vector512<T> addend)
    {
        if (typeof(T) == typeof(float))
            return Vector512.FusedMultiplyAdd(a.AsSingle(), b.AsSingle(), addend.AsSingle()).As<float, T>();
        if (typeof(T) == typeof(double))
            return Vector512.FusedMultiplyAdd(a.AsDouble(), b.AsDouble(), addend.AsDouble()).As<double, T>();
        return a * b + addend;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<T> Fma<T>(Vector256<T> a, Vector256<T> b, Vector256<T> addend)
    {
        if (typeof(T) == typeof(float))
            return Vector256.FusedMultiplyAdd(a.AsSingle(), b.AsSingle(), addend.AsSingle()).As<float, T>();
        if (typeof(T) == typeof(double))
            return Vector256.FusedMultiplyAdd(a.AsDouble(), b.AsDouble(), addend.AsDouble()).As<double, T>();
        return a * b + addend;
    }

    /// <summary>6 × (2·Vector512&lt;T&gt;.Count) tile: 6×32 floats or 6×16 doubles.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Kernel512<T>(int kc, T* a, T* b, T* c, nint ldc) where T : unmanaged
    {
        nint w = Vector512<T>.Count;
        Vector512<T> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector512<T> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector512.LoadAligned(b);
            var b1 = Vector512.LoadAligned(b + w);
            var av = Vector512.Create(a[0]);
            c00 = Fma(av, b0, c00); c01 = Fma(av, b1, c01);
            av = Vector512.Create(a[1]);
            c10 = Fma(av, b0, c10); c11 = Fma(av, b1, c11);
            av = Vector512.Create(a[2]);
            c20 = Fma(av, b0, c20); c21 = Fma(av, b1, c21);
            av = Vector512.Create(a[3]);
            c30 = Fma(av, b0, c30); c31 = Fma(av, b1, c31);
            av = Vector512.Create(a[4]);
            c40 = Fma(av, b0, c40); c41 = Fma(av, b1, c41);
            av = Vector512.Create(a[5]);
            c50 = Fma(av, b0, c50); c51 = Fma(av, b1, c51);
            a += VectorRows;
            b += 2 * w;
        }
        AddRow(c, w, c00, c01); c += ldc;
        AddRow(c, w, c10, c11); c += ldc;
        AddRow(c, w, c20, c21); c += ldc;
        AddRow(c, w, c30, c31); c += ldc;
        AddRow(c, w, c40, c41); c += ldc;
        AddRow(c, w, c50, c51);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddRow<T>(T* c, nint w, Vector512<T> left, Vector512<T> right) where T : unmanaged
    {
        Vector512.Store(Vector512.Load(c) + left, c);
        Vector512.Store(Vector512.Load(c + w) + right, c + w);
    }

    /// <summary>6 × (2·Vector256&lt;T&gt;.Count) tile: 6×16 floats or 6×8 doubles.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Kernel256<T>(int kc, T* a, T* b, T* c, nint ldc) where T : unmanaged
    {
        nint w = Vector256<T>.Count;
        Vector256<T> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<T> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector256.LoadAligned(b);
            var b1 = Vector256.LoadAligned(b + w);
            var av = Vector256.Create(a[0]);
            c00 = Fma(av, b0, c00); c01 = Fma(av, b1, c01);
            av = Vector256.Create(a[1]);
            c10 = Fma(av, b0, c10); c11 = Fma(av, b1, c11);
            av = Vector256.Create(a[2]);
            c20 = Fma(av, b0, c20); c21 = Fma(av, b1, c21);
            av = Vector256.Create(a[3]);
            c30 = Fma(av, b0, c30); c31 = Fma(av, b1, c31);
            av = Vector256.Create(a[4]);
            c40 = Fma(av, b0, c40); c41 = Fma(av, b1, c41);
            av = Vector256.Create(a[5]);
            c50 = Fma(av, b0, c50); c51 = Fma(av, b1, c51);
            a += VectorRows;
            b += 2 * w;
        }
        AddRow(c, w, c00, c01); c += ldc;
        AddRow(c, w, c10, c11); c += ldc;
        AddRow(c, w, c20, c21); c += ldc;
        AddRow(c, w, c30, c31); c += ldc;
        AddRow(c, w, c40, c41); c += ldc;
        AddRow(c, w, c50, c51);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddRow<T>(T* c, nint w, Vector256<T> left, Vector256<T> right) where T : unmanaged
    {
        Vector256.Store(Vector256.Load(c) + left, c);
        Vector256.Store(Vector256.Load(c + w) + right, c + w);
    }

    /// <summary>Portable 4×4 tile for hardware without SIMD acceleration.</summary>
    public static void KernelScalar<T>(int kc, T* a, T* b, T* c, nint ldc) where T : unmanaged, INumber<T>
    {
        var acc = stackalloc T[ScalarRows * ScalarColumns];
        for (int i = 0; i < ScalarRows * ScalarColumns; i++) acc[i] = T.Zero;
        for (int p = 0; p < kc; p++)
        {
            for (int i = 0; i < ScalarRows; i++)
            {
                T ai = a[i];
                for (int j = 0; j < ScalarColumns; j++) acc[i * ScalarColumns + j] += ai * b[j];
            }
            a += ScalarRows;
            b += ScalarColumns;
        }
        for (int i = 0; i < ScalarRows; i++)
            for (int j = 0; j < ScalarColumns; j++)
                c[i * ldc + j] += acc[i * ScalarColumns + j];
    }
}
