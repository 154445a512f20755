using NUnit.Framework;
using StyleAlign.Engine.Core;
using StyleAlign.Engine.Cpu;
using StyleAlign.Engine.IO;
using StyleAlign.Tests.TestSupport;

namespace StyleAlign.Tests.IO;

/// <summary>Tensors mapped from a safetensors file: no copy, stored dtype, alive past the file, private writes.</summary>
[TestFixture, Category("Unit")]
public sealed class SafetensorsMappingTests
{
    private TempDirectory _folder = null!;

    [SetUp]
    public void SetUp() => _folder = new TempDirectory();

    [TearDown]
    public void TearDown() => _folder.Dispose();

    private string Write()
    {
        var path = _folder.File("weights.safetensors");
        SafetensorsWriter.Write(path, [
            SafetensorsWriter.Float32("f32", [2, 3], [1, 2, 3, 4, 5, 6]),
            SafetensorsWriter.BFloat16("bf16", [3], [BFloat16Bits.FromSingle(1.5f), BFloat16Bits.FromSingle(-2f), BFloat16Bits.FromSingle(0.25f)]),
            SafetensorsWriter.Int64("i64", [2], [7, -7]),
            ("u16", SafetensorsDType.U16, [1], BitConverter.GetBytes((ushort)9)),
        ]);
        return path;
    }

    [Test]
    public void AMappedTensorHoldsTheStoredDtypeWithoutACopy()
    {
        using var file = SafetensorsFile.Open(Write());
        using var f32 = file.MapTensor("f32");
        using var bf16 = file.MapTensor("bf16");
        using var i64 = file.MapTensor("i64");
        Assert.That((f32.DType, f32.Shape), Is.EqualTo((DType.F32, new Shape(2, 3))));
        Assert.That(f32.ToFloatArray(), Is.EqualTo(new float[] { 1, 2, 3, 4, 5, 6 }));
        Assert.That(bf16.DType, Is.EqualTo(DType.BF16));
        Assert.That(bf16.ToFloatArray(), Is.EqualTo(new[] { 1.5f, -2f, 0.25f }));
        Assert.That(i64.ToLongArray(), Is.EqualTo(new long[] { 7, -7 }));
        Assert.That(f32.CpuStorage().IsMapped, Is.True);
        Assert.That(f32.CpuStorage().Address, Is.EqualTo(file.GetDataPointer("f32")), "the tensor is the file's bytes");
        Assert.That(() => file.MapTensor("u16"), Throws.TypeOf<NotSupportedException>().With.Message.Contains("'u16'").And.Message.Contains("U16"));
    }

    [Test]
    public void AMappedTensorOutlivesTheFileAndWritesIntoItStayInMemory()
    {
        var path = Write();
        var before = File.ReadAllBytes(path);
        Tensor mapped;
        using (var file = SafetensorsFile.Open(path))
            mapped = file.MapTensor("f32");
        using (mapped)
        {
            Assert.That(mapped.ToFloatArray()[5], Is.EqualTo(6f), "readable after the file was disposed");
            using var twice = mapped * 2.0;
            mapped.CopyFrom(twice);
            Assert.That(mapped.ToFloatArray(), Is.EqualTo(new float[] { 2, 4, 6, 8, 10, 12 }));
        }
        Assert.That(File.ReadAllBytes(path), Is.EqualTo(before), "the mapping is copy-on-write");
        using var reopened = SafetensorsFile.Open(path);
        Assert.That(reopened.ReadAsFloat32("f32"), Is.EqualTo(new float[] { 1, 2, 3, 4, 5, 6 }));
    }
}
