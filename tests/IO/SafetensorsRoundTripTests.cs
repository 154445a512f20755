using NUnit.Framework;
using StyleAlign.Tests.TestSupport;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using StyleAlign.Engine.IO;

namespace StyleAlign.Tests.IO;

[TestFixture]
[Category("Unit")]
public sealed class SafetensorsRoundTripTests
{
    private TempDirectory _folder = null!;

    [SetUp]
    public void SetUp() => _folder = new TempDirectory();

    [TearDown]
    public void TearDown() => _folder.Dispose();

    private static byte[] RandomBytes(SafetensorsDType dtype, long count, int seed)
    {
        var bytes = new byte[count * dtype.ElementSize()];
        new Random(seed).NextBytes(bytes);
        if (dtype == SafetensorsDType.Bool)
            for (int i = 0; i < bytes.Length; i++) bytes[i] &= 1;
        return bytes;
    }

    [Test]
    public void EveryDTypeRoundTripsBytesShapeAndMetadata()
    {
        var written = Enum.GetValues<SafetensorsDType>()
            .Select((dtype, i) => (Name: $"t.{dtype}", DType: dtype, Shape: new long[] { 2, 3, i + 1 },
                Data: (ReadOnlyMemory<byte>)RandomBytes(dtype, 6L * (i + 1), seed: i)))
            .ToList();
        written.Add(("scalar", SafetensorsDType.F32, [], BitConverter.GetBytes(1.5f)));
        written.Add(("empty", SafetensorsDType.BF16, [0, 4], Array.Empty<byte>()));
        string path = _folder.File("all.safetensors");
        var metadata = new Dictionary<string, string> { ["format"] = "pt", ["note"] = "round trip" };

        SafetensorsWriter.Write(path, written, metadata);

        using var file = SafetensorsFile.Open(path);
        Assert.That(file.Entries, Has.Count.EqualTo(written.Count));
        Assert.That(file.Metadata, Is.EquivalentTo(metadata));
        Assert.That(file.DataStart % 8, Is.Zero, "header must be space-padded to a multiple of 8");
        foreach (var tensor in written)
        {
            SafetensorsEntry entry = file.Entries[tensor.Name];
            Assert.That(entry.DType, Is.EqualTo(tensor.DType), tensor.Name);
            Assert.That(entry.Shape, Is.EqualTo(tensor.Shape), tensor.Name);
            Assert.That(file.GetBytes(tensor.Name).ToArray(), Is.EqualTo(tensor.Data.ToArray()), tensor.Name);
        }
        Assert.That(file.ReadAsFloat32("scalar"), Is.EqualTo(new[] { 1.5f }));
        Assert.That(Directory.GetFiles(_folder.Path), Has.Length.EqualTo(1), "no temporary file may remain");
    }

    [Test]
    public void TensorsAreStoredSortedByNameWithContiguousOffsets()
    {
        string path = _folder.File("sorted.safetensors");
        SafetensorsWriter.Write(path, [
            SafetensorsWriter.Float32("b", [2], [1f, 2f]),
            SafetensorsWriter.Int64("a", [1], [7L]),
            SafetensorsWriter.Int32("c", [3], [1, 2, 3]),
        ]);

        using var file = SafetensorsFile.Open(path);
        Assert.That(file.Entries["a"].Offset, Is.EqualTo(0));
        Assert.That(file.Entries["b"].Offset, Is.EqualTo(8));
        Assert.That(file.Entries["c"].Offset, Is.EqualTo(16));
        Assert.That(file.Metadata["format"], Is.EqualTo("pt"), "transformers expects a format entry");
    }

    [Test]
    public void ConversionsWidenEveryDTypeExactly()
    {
        float[] floats = [1f, -2.5f, 0.15625f, float.MaxValue];
        ushort[] bf16 = floats.Select(f => (ushort)(BitConverter.SingleToUInt32Bits(f) >> 16)).ToArray();
        Half[] halves = [(Half)1.0f, (Half)(-0.333f), Half.MaxValue, (Half)0.0f];
        string path = _folder.File("convert.safetensors");
        SafetensorsWriter.Write(path, [
            SafetensorsWriter.Float32("f32", [4], floats),
            SafetensorsWriter.BFloat16("bf16", [2, 2], bf16),
            ("f16", SafetensorsDType.F16, [4], MemoryMarshal.AsBytes(halves.AsSpan()).ToArray()),
            ("f64", SafetensorsDType.F64, [2], MemoryMarshal.AsBytes(new[] { Math.PI, -1e300 }.AsSpan()).ToArray()),
            ("i8", SafetensorsDType.I8, [3], new byte[] { 0x80, 0xFF, 0x7F }),
            ("u8", SafetensorsDType.U8, [2], new byte[] { 200, 3 }),
            ("bool", SafetensorsDType.Bool, [3], new byte[] { 1, 0, 1 }),
            ("u16", SafetensorsDType.U16, [1], BitConverter.GetBytes((ushort)65000)),
            ("i16", SafetensorsDType.I16, [1], BitConverter.GetBytes((short)-30000)),
            ("u32", SafetensorsDType.U32, [1], BitConverter.GetBytes(4_000_000_000u)),
            SafetensorsWriter.Int32("i32", [2], [-5, int.MaxValue]),
            SafetensorsWriter.Int64("i64", [2], [long.MinValue, 42L]),
            ("u64big", SafetensorsDType.U64, [1], BitConverter.GetBytes(ulong.MaxValue)),
        ]);

        using var file = SafetensorsFile.Open(path);
        Assert.That(file.ReadAsFloat32("f32"), Is.EqualTo(floats));
        Assert.That(file.ReadAsFloat32("bf16"), Is.EqualTo(new[] { 1f, -2.5f, 0.15625f, BitConverter.UInt32BitsToSingle(0x7F7F0000) }));
        Assert.That(file.ReadAsFloat64("bf16")[1], Is.EqualTo(-2.5));
        Assert.That(file.ReadAsFloat32("f16"), Is.EqualTo(halves.Select(h => (float)h).ToArray()));
        Assert.That(file.ReadAsFloat64("f64"), Is.EqualTo(new[] { Math.PI, -1e300 }));
        Assert.That(file.ReadAsFloat32("f64")[0], Is.EqualTo((float)Math.PI));
        Assert.That(file.ReadAsInt64("i8"), Is.EqualTo(new long[] { -128, -1, 127 }));
        Assert.That(file.ReadAsInt64("u8"), Is.EqualTo(new long[] { 200, 3 }));
        Assert.That(file.ReadAsInt64("bool"), Is.EqualTo(new long[] { 1, 0, 1 }));
        Assert.That(file.ReadAsFloat32("bool"), Is.EqualTo(new[] { 1f, 0f, 1f }));
        Assert.That(file.ReadAsInt64("u16"), Is.EqualTo(new long[] { 65000 }));
        Assert.That(file.ReadAsInt64("i16"), Is.EqualTo(new long[] { -30000 }));
        Assert.That(file.ReadAsInt64("u32"), Is.EqualTo(new long[] { 4_000_000_000L }));
        Assert.That(file.ReadAsInt64("i32"), Is.EqualTo(new long[] { -5, int.MaxValue }));
        Assert.That(file.ReadAsFloat64("i32"), Is.EqualTo(new double[] { -5, int.MaxValue }));
        Assert.That(file.ReadAsInt64("i64"), Is.EqualTo(new[] { long.MinValue, 42L }));
        Assert.That(file.ReadAsFloat64("u64big"), Is.EqualTo(new[] { (double)ulong.MaxValue }));

        var tooBig = Assert.Throws<SafetensorsFormatException>(() => file.ReadAsInt64("u64big"));
        Assert.That(tooBig!.Message, Does.Contain(path).And.Contain("u64big"));
        var notInteger = Assert.Throws<SafetensorsFormatException>(() => file.ReadAsInt64("f32"));
        Assert.That(notInteger!.Message, Does.Contain("f32").And.Contain("not an integer"));
        var missing = Assert.Throws<KeyNotFoundException>(() => file.GetBytes("absent"));
        Assert.That(missing!.Message, Does.Contain(path).And.Contain("absent"));
    }

    [Test]
    public void ChunkedConversionMatchesWholeConversion()
    {
        ushort[] bf16 = Enumerable.Range(0, 1000).Select(i => (ushort)(0x3F80 + i)).ToArray();
        string path = _folder.File("chunks.safetensors");
        SafetensorsWriter.Write(path, [SafetensorsWriter.BFloat16("w", [10, 100], bf16)]);
        using var file = SafetensorsFile.Open(path);
        float[] expected = bf16.Select(b => BitConverter.UInt32BitsToSingle((uint)b << 16)).ToArray();
        Assert.That(file.ReadAsFloat32("w", chunkElements: 7), Is.EqualTo(expected));
        Assert.That(file.ReadAsFloat32("w"), Is.EqualTo(expected));
    }

    [Test]
    public void ReadingAfterDisposeIsRefused()
    {
        string path = _folder.File("disposed.safetensors");
        SafetensorsWriter.Write(path, [("x", [1], [1f])]);
        var file = SafetensorsFile.Open(path);
        file.Dispose();
        Assert.Throws<ObjectDisposedException>(() => file.GetBytes("x"));
        Assert.DoesNotThrow(file.Dispose);
    }

    [Test]
    public void WriterRejectsDataOfTheWrongLengthNamingTheTensor()
    {
        string path = _folder.File("bad.safetensors");
        var error = Assert.Throws<ArgumentException>(() =>
            SafetensorsWriter.Write(path, [("w", SafetensorsDType.F32, [2, 2], new byte[12])]));
        Assert.That(error!.Message, Does.Contain("'w'").And.Contain("16 bytes"));
        Assert.That(Directory.GetFiles(_folder.Path), Is.Empty, "a failed write leaves nothing behind");
    }

    [Test]
    public void RewritingReplacesTheFileAtomically()
    {
        string path = _folder.File("model.safetensors");
        SafetensorsWriter.Write(path, [("x", [1], [1f])]);
        SafetensorsWriter.Write(path, [("x", [2], [2f, 3f])]);
        using var file = SafetensorsFile.Open(path);
        Assert.That(file.ReadAsFloat32("x"), Is.EqualTo(new[] { 2f, 3f }));
        Assert.That(Directory.GetFiles(_folder.Path), Has.Length.EqualTo(1));
    }

    [Test]
    public void ShardedCheckpointRoundTripsThroughTheIndex()
    {
        var tensors = Enumerable.Range(0, 7)
            .Select(i => SafetensorsWriter.Float32($"layer.{i}.weight", [4, 4], Enumerable.Range(0, 16).Select(v => v + 100f * i).ToArray()))
            .Append(SafetensorsWriter.Int64("positions", [3], [0, 1, 2]))
            .ToList();

        // 64-byte tensors with a 150-byte limit: two per shard.
        IReadOnlyList<string> shards = SafetensorsWriter.WriteSharded(_folder.Path, tensors, maxShardBytes: 150);

        Assert.That(shards.Select(Path.GetFileName), Is.EqualTo(new[]
        {
            "model-00001-of-00004.safetensors", "model-00002-of-00004.safetensors",
            "model-00003-of-00004.safetensors", "model-00004-of-00004.safetensors",
        }));
        Assert.That(File.Exists(Path.Combine(_folder.Path, "model.safetensors.index.json")));
        Assert.That(Directory.GetFiles(_folder.Path, "*.tmp"), Is.Empty);

        using var checkpoint = SafetensorsCheckpoint.Open(_folder.Path);
        Assert.That(checkpoint.Files, Has.Count.EqualTo(4));
        Assert.That(checkpoint.Entries.Keys, Is.EquivalentTo(tensors.Select(t => t.Name)));
        Assert.That(checkpoint.Metadata["total_size"], Is.EqualTo((7 * 64 + 24).ToString()));
        for (int i = 0; i < 7; i++)
            Assert.That(checkpoint.ReadAsFloat32($"layer.{i}.weight")[15], Is.EqualTo(15f + 100f * i));
        Assert.That(checkpoint.ReadAsInt64("positions"), Is.EqualTo(new long[] { 0, 1, 2 }));
        Assert.That(Path.GetFileName(checkpoint.FileOf("positions").Path), Is.EqualTo("model-00004-of-00004.safetensors"));
        Assert.That(BinaryPrimitives.ReadInt64LittleEndian(checkpoint.GetBytes("positions")[8..]), Is.EqualTo(1));
    }

    [Test]
    public void TensorLargerThanTheShardLimitGetsAShardOfItsOwn()
    {
        IReadOnlyList<string> shards = SafetensorsWriter.WriteSharded(_folder.Path, [
            SafetensorsWriter.Float32("small.a", [2], [1f, 2f]),
            SafetensorsWriter.Float32("big", [64], new float[64]),
            SafetensorsWriter.Float32("small.b", [2], [3f, 4f]),
        ], maxShardBytes: 100);

        Assert.That(shards, Has.Count.EqualTo(3));
        using var checkpoint = SafetensorsCheckpoint.Open(_folder.Path);
        Assert.That(checkpoint.FileOf("big").Entries, Has.Count.EqualTo(1));
        Assert.That(checkpoint.ReadAsFloat32("small.b"), Is.EqualTo(new[] { 3f, 4f }));
    }

    [Test]
    public void TensorsOutsideTheIndexWeightMapAreNotPartOfTheCheckpoint()
    {
        SafetensorsWriter.Write(_folder.File("model-00001-of-00001.safetensors"), [("a", [1], [1f]), ("stray", [1], [2f])]);
        File.WriteAllText(_folder.File("model.safetensors.index.json"),
            """{"metadata":{"total_size":4},"weight_map":{"a":"model-00001-of-00001.safetensors"}}""");
        using var checkpoint = SafetensorsCheckpoint.Open(_folder.Path);
        Assert.That(checkpoint.Entries.Keys, Is.EqualTo(new[] { "a" }));
        Assert.Throws<KeyNotFoundException>(() => checkpoint.ReadAsFloat32("stray"));
    }

    [Test]
    public void CheckpointOpensAFileAFolderWithModelSafetensorsOrAFolderWithOneFile()
    {
        string modelPath = _folder.File("model.safetensors");
        SafetensorsWriter.Write(modelPath, [("x", [1], [4f])]);
        using (var byFile = SafetensorsCheckpoint.Open(modelPath))
            Assert.That(byFile.ReadAsFloat32("x"), Is.EqualTo(new[] { 4f }));
        using (var byFolder = SafetensorsCheckpoint.Open(_folder.Path))
            Assert.That(byFolder.ReadAsFloat32("x"), Is.EqualTo(new[] { 4f }));

        using var other = new TempDirectory();
        SafetensorsWriter.Write(other.File("adapter.safetensors"), [("y", [1], [5f])]);
        using var single = SafetensorsCheckpoint.Open(other.Path);
        Assert.That(single.ReadAsFloat32("y"), Is.EqualTo(new[] { 5f }));
    }
}
