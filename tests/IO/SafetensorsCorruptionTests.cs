using NUnit.Framework;
using StyleAlign.Tests.TestSupport;
using StyleAlign.Engine.IO;

namespace StyleAlign.Tests.IO;

[TestFixture]
[Category("Unit")]
public sealed class SafetensorsCorruptionTests
{
    private TempDirectory _folder = null!;

    [SetUp]
    public void SetUp() => _folder = new TempDirectory();

    [TearDown]
    public void TearDown() => _folder.Dispose();

    private static SafetensorsFormatException OpenFails(string path)
    {
        var error = Assert.Throws<SafetensorsFormatException>(() => SafetensorsFile.Open(path).Dispose());
        Assert.That(error!.Message, Does.Contain(path), "the message must name the file");
        return error;
    }

    [Test]
    public void AbsurdHeaderLengthIsRejectedBeforeReading()
    {
        string path = _folder.WriteRaw("huge.safetensors", "{}", 0, declaredHeaderLength: 1UL << 40);
        Assert.That(OpenFails(path).Message, Does.Contain("header length 1099511627776 exceeds"));
    }

    [Test]
    public void HeaderLengthPastTheEndOfTheFileIsRejected()
    {
        string path = _folder.WriteRaw("short.safetensors", "{}", 0, declaredHeaderLength: 4096);
        Assert.That(OpenFails(path).Message, Does.Contain("past the end"));
    }

    [Test]
    public void FileShorterThanTheLengthPrefixIsRejected()
    {
        string path = _folder.File("tiny.safetensors");
        File.WriteAllBytes(path, [1, 2, 3]);
        Assert.That(OpenFails(path).Message, Does.Contain("shorter than the 8-byte header length"));
    }

    [Test]
    public void TruncatedDataNamesTheTensorThatNoLongerFits()
    {
        string path = _folder.File("truncated.safetensors");
        SafetensorsWriter.Write(path, [("a", [4], [1f, 2f, 3f, 4f]), ("b", [4], [5f, 6f, 7f, 8f])]);
        using (var stream = new FileStream(path, FileMode.Open)) stream.SetLength(stream.Length - 5);

        string message = OpenFails(path).Message;
        Assert.That(message, Does.Contain("'b'").And.Contain("past the data buffer"));
    }

    [Test]
    public void InvalidJsonIsReported()
    {
        string path = _folder.WriteRaw("badjson.safetensors", "{\"a\": {\"dtype\": \"F32\",", 0);
        Assert.That(OpenFails(path).Message, Does.Contain("not valid JSON"));
    }

    [Test]
    public void NonObjectHeaderIsReported()
    {
        string path = _folder.WriteRaw("array.safetensors", "[1, 2]", 0);
        Assert.That(OpenFails(path).Message, Does.Contain("the header must start with '{'"));
    }

    [Test]
    public void OverlappingTensorsAreNamed()
    {
        string path = _folder.WriteRaw("overlap.safetensors",
            """{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},"b":{"dtype":"F32","shape":[4],"data_offsets":[8,24]}}""", 24);
        Assert.That(OpenFails(path).Message, Does.Contain("'a'").And.Contain("'b'").And.Contain("overlap"));
    }

    [Test]
    public void OffsetsPastTheEndAreNamed()
    {
        string path = _folder.WriteRaw("pastend.safetensors",
            """{"w":{"dtype":"U8","shape":[8],"data_offsets":[4,12]}}""", 10);
        Assert.That(OpenFails(path).Message, Does.Contain("'w'").And.Contain("[4, 12]").And.Contain("10 bytes"));
    }

    [Test]
    public void ReversedOffsetsAreNamed()
    {
        string path = _folder.WriteRaw("reversed.safetensors",
            """{"w":{"dtype":"U8","shape":[0],"data_offsets":[8,4]}}""", 10);
        Assert.That(OpenFails(path).Message, Does.Contain("'w'").And.Contain("begin <= end"));
    }

    [Test]
    public void ShapeTimesDTypeMismatchIsNamed()
    {
        string path = _folder.WriteRaw("mismatch.safetensors",
            """{"w":{"dtype":"BF16","shape":[3,2],"data_offsets":[0,16]}}""", 16);
        Assert.That(OpenFails(path).Message, Does.Contain("'w'").And.Contain("needs 12 bytes").And.Contain("span 16"));
    }

    [Test]
    public void UnknownDTypeIsNamed()
    {
        string path = _folder.WriteRaw("dtype.safetensors",
            """{"w":{"dtype":"Q4","shape":[2],"data_offsets":[0,1]}}""", 1);
        Assert.That(OpenFails(path).Message, Does.Contain("'w'").And.Contain("unknown dtype 'Q4'"));
    }

    [Test]
    public void NegativeDimensionIsNamed()
    {
        string path = _folder.WriteRaw("negative.safetensors",
            """{"w":{"dtype":"F32","shape":[-1,4],"data_offsets":[0,0]}}""", 0);
        Assert.That(OpenFails(path).Message, Does.Contain("'w'").And.Contain("negative"));
    }

    [Test]
    public void OverflowingShapeIsNamed()
    {
        string path = _folder.WriteRaw("overflow.safetensors",
            """{"w":{"dtype":"F64","shape":[4611686018427387904,4],"data_offsets":[0,0]}}""", 0);
        Assert.That(OpenFails(path).Message, Does.Contain("'w'").And.Contain("too large"));
    }

    [Test]
    public void DuplicateTensorNameIsNamed()
    {
        string path = _folder.WriteRaw("dup.safetensors",
            """{"w":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"w":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}""", 2);
        Assert.That(OpenFails(path).Message, Does.Contain("'w'").And.Contain("twice"));
    }

    [Test]
    public void MissingFieldsAndNonStringMetadataAreReported()
    {
        string noOffsets = _folder.WriteRaw("nooffsets.safetensors", """{"w":{"dtype":"U8","shape":[1]}}""", 1);
        Assert.That(OpenFails(noOffsets).Message, Does.Contain("'w'").And.Contain("data_offsets"));
        string badMetadata = _folder.WriteRaw("meta.safetensors", """{"__metadata__":{"step":3}}""", 0);
        Assert.That(OpenFails(badMetadata).Message, Does.Contain("'step'").And.Contain("must be a string"));
    }

    [Test]
    public void GapsBetweenTensorsAreRefusedAndEmptyTensorsAtABoundaryAccepted()
    {
        string gaps = _folder.WriteRaw("gaps.safetensors",
            """{"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},"b":{"dtype":"U8","shape":[2],"data_offsets":[6,8]}}""", 8);
        Assert.That(OpenFails(gaps).Message, Does.Contain("4 bytes between tensors 'a' (ends at 2) and 'b' (starts at 6)"));

        string inside = _folder.WriteRaw("inside.safetensors",
            """{"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},"e":{"dtype":"F32","shape":[0],"data_offsets":[1,1]}}""", 2);
        Assert.That(OpenFails(inside).Message, Does.Contain("'a' [0, 2] and 'e' [1, 1] overlap"));

        string path = _folder.WriteRaw("empty.safetensors",
            """{"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},"e":{"dtype":"F32","shape":[0],"data_offsets":[2,2]},"b":{"dtype":"U8","shape":[2],"data_offsets":[2,4]}}""", 4);
        using var file = SafetensorsFile.Open(path);
        Assert.That(file.ReadAsInt64("b"), Is.EqualTo(new long[] { 2, 3 }));
        Assert.That(file.ReadAsFloat32("e"), Is.Empty);
    }

    [Test]
    public void IndexNamingAMissingShardIsNamed()
    {
        SafetensorsWriter.Write(_folder.File("model-00001-of-00002.safetensors"), [("a", [1], [1f])]);
        File.WriteAllText(_folder.File("model.safetensors.index.json"),
            """{"metadata":{},"weight_map":{"a":"model-00001-of-00002.safetensors","b":"model-00002-of-00002.safetensors"}}""");
        var error = Assert.Throws<InputFileException>(() => SafetensorsCheckpoint.Open(_folder.Path).Dispose());
        Assert.That(error!.Message, Does.Contain("model-00002-of-00002.safetensors").And.Contain("'b'"));
    }

    [Test]
    public void IndexNamingATensorAbsentFromItsShardIsNamed()
    {
        SafetensorsWriter.Write(_folder.File("model-00001-of-00001.safetensors"), [("a", [1], [1f])]);
        File.WriteAllText(_folder.File("model.safetensors.index.json"),
            """{"weight_map":{"a":"model-00001-of-00001.safetensors","ghost":"model-00001-of-00001.safetensors"}}""");
        var error = Assert.Throws<SafetensorsFormatException>(() => SafetensorsCheckpoint.Open(_folder.Path).Dispose());
        Assert.That(error!.Message, Does.Contain("'ghost'").And.Contain(_folder.Path));
    }

    [Test]
    public void TensorStoredInTwoShardsIsNamedWithBothFiles()
    {
        SafetensorsWriter.Write(_folder.File("model-00001-of-00002.safetensors"), [("a", [1], [1f]), ("b", [1], [2f])]);
        SafetensorsWriter.Write(_folder.File("model-00002-of-00002.safetensors"), [("b", [1], [3f])]);
        File.WriteAllText(_folder.File("model.safetensors.index.json"),
            """{"weight_map":{"a":"model-00001-of-00002.safetensors","b":"model-00002-of-00002.safetensors"}}""");
        var error = Assert.Throws<SafetensorsFormatException>(() => SafetensorsCheckpoint.Open(_folder.Path).Dispose());
        Assert.That(error!.Message, Does.Contain("'b'").And.Contain("model-00001-of-00002").And.Contain("model-00002-of-00002"));
    }

    [Test]
    public void FolderWithSeveralFilesAndNoIndexIsAmbiguous()
    {
        SafetensorsWriter.Write(_folder.File("one.safetensors"), [("a", [1], [1f])]);
        SafetensorsWriter.Write(_folder.File("two.safetensors"), [("b", [1], [1f])]);
        var error = Assert.Throws<InputFileException>(() => SafetensorsCheckpoint.Open(_folder.Path).Dispose());
        Assert.That(error!.Message, Does.Contain("one.safetensors, two.safetensors").And.Contain("index"));
    }

    [Test]
    public void AHeaderLengthOneByteShortIsRefusedNotReadOneByteOff()
    {
        // The header ends in padding spaces, so the shorter header still parses; the offsets no longer cover the data.
        string path = _folder.File("short-by-one.safetensors");
        SafetensorsWriter.Write(path, [("a", [3], [1f, 2f, 3f])]);
        byte[] bytes = File.ReadAllBytes(path);
        Assert.That(bytes[8 + (int)BitConverter.ToUInt64(bytes) - 1], Is.EqualTo((byte)' '), "the writer pads the header with spaces");
        BitConverter.TryWriteBytes(bytes.AsSpan(0, 8), BitConverter.ToUInt64(bytes) - 1);
        File.WriteAllBytes(path, bytes);
        Assert.That(OpenFails(path).Message, Does.Contain("the tensors cover 12 data bytes but 13 follow the header (is the header length right?)"));
    }

    [Test]
    public void BytesAfterTheLastTensorAreRefused()
    {
        string path = _folder.WriteRaw("trailing.safetensors", """{"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]}}""", 5);
        Assert.That(OpenFails(path).Message, Does.Contain("the tensors cover 2 data bytes but 5 follow the header"));
    }

    [TestCase(" {\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}}", "the header must start with '{', found byte 0x20")]
    [TestCase("{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[\"0\",1]}}", "tensor 'a': data_offsets [\"0\",1] are not integers")]
    [TestCase("{\"a\":{\"dtype\":\"U8\",\"shape\":[\"1\"],\"data_offsets\":[0,1]}}", "tensor 'a': shape dimension 0 is not an integer (\"1\")")]
    [TestCase("{\"__metadata__\":{\"format\":1},\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}}", "__metadata__ value 'format' must be a string, found 1")]
    [TestCase("{\"a\":{\"dtype\":\"F8_E4M3\",\"shape\":[1],\"data_offsets\":[0,1]}}", "unknown dtype 'F8_E4M3'")]
    public void HeaderFieldsOfTheWrongKindAreNamed(string header, string expected)
    {
        string path = _folder.WriteRaw("kinds.safetensors", header, 1);
        Assert.That(OpenFails(path).Message, Does.Contain(expected));
    }

    [Test]
    public void InvalidUtf8InTheHeaderIsRefused()
    {
        string path = _folder.File("utf8.safetensors");
        byte[] header = [.. "{\"a\xff\":{}}"u8];
        header[3] = 0xFF;
        var bytes = new byte[8 + header.Length];
        BitConverter.TryWriteBytes(bytes.AsSpan(0, 8), (ulong)header.Length);
        header.CopyTo(bytes, 8);
        File.WriteAllBytes(path, bytes);
        Assert.That(OpenFails(path).Message, Does.Contain("the header is not valid UTF-8"));
    }

    [Test]
    public void AShardOutsideTheCheckpointFolderIsReadOnlyWhenTheCallerAllowsIt()
    {
        string model = Path.Combine(_folder.Path, "model");
        Directory.CreateDirectory(model);
        SafetensorsWriter.Write(_folder.File("elsewhere.safetensors"), [("a", [1], [1f])]);
        File.WriteAllText(Path.Combine(model, "model.safetensors.index.json"), """{"weight_map":{"a":"../elsewhere.safetensors"}}""");
        var error = Assert.Throws<SafetensorsFormatException>(() => SafetensorsCheckpoint.Open(model).Dispose())!;
        Assert.That(error.Message, Does.Contain("shard '../elsewhere.safetensors' (holding e.g. 'a') lies outside the checkpoint folder"));
        using var allowed = SafetensorsCheckpoint.Open(model, allowShardsOutsideFolder: true);
        Assert.That(allowed.ReadAsFloat32("a"), Is.EqualTo(new[] { 1f }));
    }

    [Test]
    public void ACheckpointOfLinkedFilesLoads()
    {
        // A hub cache's snapshot folder links each file to a blob elsewhere.
        string blobs = Path.Combine(_folder.Path, "blobs"), snapshot = Path.Combine(_folder.Path, "snapshot");
        Directory.CreateDirectory(blobs);
        Directory.CreateDirectory(snapshot);
        SafetensorsWriter.Write(Path.Combine(blobs, "1234"), [("a", [2], [1f, 2f])]);
        File.CreateSymbolicLink(Path.Combine(snapshot, "model.safetensors"), "../blobs/1234");
        using var checkpoint = SafetensorsCheckpoint.Open(snapshot);
        Assert.That(checkpoint.ReadAsFloat32("a"), Is.EqualTo(new[] { 1f, 2f }));
    }

    [Test]
    public void AFifoInPlaceOfAShardIsRefused()
    {
        string fifo = _folder.RequireFifo("model.safetensors");
        Assert.That(() => SafetensorsCheckpoint.Open(_folder.Path).Dispose(), Throws.TypeOf<InputFileException>().With.Message.Contains(fifo + ": is a FIFO"));
    }
}
