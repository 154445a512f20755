using NUnit.Framework;
using StyleAlign.Engine.Cuda;

namespace StyleAlign.Tests.Cuda;

/// <summary>
/// f32 GEMMs are exact f32 products unless TF32 is allowed, and then their inputs lose the mantissa bits TF32 drops:
/// 1 + 2⁻¹⁵ needs 15 bits, TF32 keeps 10, so allowed it multiplies as 1.
/// </summary>
[TestFixture, Category("Cuda"), NonParallelizable]
public sealed class CudaGemmTf32Tests
{
    [TearDown]
    public void RestoreDefault() => CudaGemm.AllowTf32 = false;

    [TestCase(false, 2 + 1.0 / 16384)]
    [TestCase(true, 2.0)]
    public void F32GemmUsesTf32OnlyWhenAllowed(bool allowTf32, double expected)
    {
        var context = CudaTestSupport.RequireDevice();
        const int m = 2, n = 2, k = 2;
        var a = Enumerable.Repeat(1f + 1f / 32768, m * k).ToArray();
        var b = Enumerable.Repeat(1f, k * n).ToArray();
        using var da = context.Allocate(a.Length * 4L);
        using var db = context.Allocate(b.Length * 4L);
        using var dc = context.Allocate(m * n * 4L);
        context.CopyToDevice<float>(a, da);
        context.CopyToDevice<float>(b, db);
        CudaGemm.AllowTf32 = allowTf32;
        CudaGemm.RowMajor(context, GemmElementType.F32, transposeA: false, transposeB: false, m, n, k, da.Pointer, db.Pointer, dc.Pointer);
        var c = new float[m * n];
        context.CopyToHost<float>(dc, c);
        CudaComparisons.Record();
        Assert.That(c, Has.All.EqualTo((float)expected), $"AllowTf32 = {allowTf32}");
    }
}
