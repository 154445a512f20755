using NUnit.Framework;
using StyleAlign.Engine.IO;

namespace StyleAlign.Tests.IO;

[TestFixture]
[Category("Unit")]
public sealed class SafetensorsCorruptionTests
{
    private IoTestFolder _folder = null!;

    [SetUp]
    public void SetUp() => _folder = new IoTestFolder();

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
}
