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
    /// <summary>Rows of C per AVX-512 micro-tile: 12 rows × 2 vectors = 24 accumulators of the 32 vector
    /// registers, so each B load feeds 12 FMAs; measured a few percent faster per core than 6 rows and level
    /// with 14.</summary>
    public const int Vector512Rows = 12;

    /// <summary>Rows of C per 256-bit micro-tile: 6 × 2 = 12 accumulators fit the 16 AVX2 registers with
    /// room for the two B vectors and the A broadcast.</summary>
    public const int Vector256Rows = 6;

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

    /// <summary>12 × (2·Vector512&lt;T&gt;.Count) tile: 12×32 floats or 12×16 doubles in 24 accumulators.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Kernel512<T>(int kc, T* a, T* b, T* c, nint ldc) where T : unmanaged
    {
        nint w = Vector512<T>.Count;
        Vector512<T> c0L = default, c0R = default, c1L = default, c1R = default, c2L = default, c2R = default;
        Vector512<T> c3L = default, c3R = default, c4L = default, c4R = default, c5L = default, c5R = default;
        Vector512<T> c6L = default, c6R = default, c7L = default, c7R = default, c8L = default, c8R = default;
        Vector512<T> c9L = default, c9R = default, c10L = default, c10R = default, c11L = default, c11R = default;
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector512.LoadAligned(b);
            var b1 = Vector512.LoadAligned(b + w);
            var av = Vector512.Create(a[0]); c0L = Fma(av, b0, c0L); c0R = Fma(av, b1, c0R);
            av = Vector512.Create(a[1]); c1L = Fma(av, b0, c1L); c1R = Fma(av, b1, c1R);
            av = Vector512.Create(a[2]); c2L = Fma(av, b0, c2L); c2R = Fma(av, b1, c2R);
            av = Vector512.Create(a[3]); c3L = Fma(av, b0, c3L); c3R = Fma(av, b1, c3R);
            av = Vector512.Create(a[4]); c4L = Fma(av, b0, c4L); c4R = Fma(av, b1, c4R);
            av = Vector512.Create(a[5]); c5L = Fma(av, b0, c5L); c5R = Fma(av, b1, c5R);
            av = Vector512.Create(a[6]); c6L = Fma(av, b0, c6L); c6R = Fma(av, b1, c6R);
            av = Vector512.Create(a[7]); c7L = Fma(av, b0, c7L); c7R = Fma(av, b1, c7R);
            av = Vector512.Create(a[8]); c8L = Fma(av, b0, c8L); c8R = Fma(av, b1, c8R);
            av = Vector512.Create(a[9]); c9L = Fma(av, b0, c9L); c9R = Fma(av, b1, c9R);
            av = Vector512.Create(a[10]); c10L = Fma(av, b0, c10L); c10R = Fma(av, b1, c10R);
            av = Vector512.Create(a[11]); c11L = Fma(av, b0, c11L); c11R = Fma(av, b1, c11R);
            a += Vector512Rows;
            b += 2 * w;
        }
        AddRow(c, w, c0L, c0R); c += ldc;
        AddRow(c, w, c1L, c1R); c += ldc;
        AddRow(c, w, c2L, c2R); c += ldc;
        AddRow(c, w, c3L, c3R); c += ldc;
        AddRow(c, w, c4L, c4R); c += ldc;
        AddRow(c, w, c5L, c5R); c += ldc;
        AddRow(c, w, c6L, c6R); c += ldc;
        AddRow(c, w, c7L, c7R); c += ldc;
        AddRow(c, w, c8L, c8R); c += ldc;
        AddRow(c, w, c9L, c9R); c += ldc;
        AddRow(c, w, c10L, c10R); c += ldc;
        AddRow(c, w, c11L, c11R);
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
            a += Vector256Rows;
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
