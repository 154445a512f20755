using System.Diagnostics;
using System.Text;
using NUnit.Framework;
using StyleAlign.Engine.IO;
using StyleAlign.Engine.IO.Config;

using StyleAlign.Tests.TestSupport;

namespace StyleAlign.Tests.IO;

[TestFixture]
[Category("Unit")]
public sealed class InputFilesTests
{
    private TempDirectory _folder = null!;

    [SetUp]
    public void SetUp() => _folder = new TempDirectory();

    [TearDown]
    public void TearDown() => _folder.Dispose();

    private static InputFileException Refused(string path, TestDelegate read)
    {
        var clock = Stopwatch.StartNew();
        var error = Assert.Throws<InputFileException>(read)!;
        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(20)), "refused, not read until a timeout");
        Assert.That(error.Message, Does.Contain(path));
        return error;
    }

    [Test]
    public void AFifoIsRefusedWithoutBeingOpened()
    {
        string fifo = _folder.RequireFifo("config.json");
        var error = Refused(fifo, () => InputFiles.ReadAllBytes(fifo, InputFiles.MaxConfigBytes, "config"));
        Assert.That(error.Message, Does.Contain("is a FIFO (named pipe), not a regular file"));
        Assert.That(() => Qwen25VLConfig.Load(fifo), Throws.TypeOf<InputFileException>().With.Message.Contains("FIFO"));
    }

    [Test]
    public void ADeviceIsRefusedInsteadOfReadForever()
    {
        if (!File.Exists("/dev/zero")) Assert.Ignore("no /dev/zero here");
        string link = _folder.File("image.png");
        File.CreateSymbolicLink(link, "/dev/zero");
        var error = Refused(link, () => InputFiles.ReadAllBytes(link, InputFiles.MaxImageBytes, "image"));
        Assert.That(error.Message, Does.Contain("is a character device"));
    }

    [Test]
    public void AFolderIsRefusedAsAFolder()
    {
        string folder = _folder.File("tokenizer.json");
        Directory.CreateDirectory(folder);
        Assert.That(Refused(folder, () => InputFiles.ReadAllText(folder, InputFiles.MaxTokenizerBytes, "tokenizer")).Message,
            Does.Contain("is a folder, not a file"));
    }

    [Test]
    public void AFileOverTheLimitIsRefusedBeforeItIsRead()
    {
        string path = _folder.File("huge.json");
        using (var stream = new FileStream(path, FileMode.CreateNew)) stream.SetLength(InputFiles.MaxConfigBytes + 1);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var error = Refused(path, () => InputFiles.ReadAllBytes(path, InputFiles.MaxConfigBytes, "config"));
        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.LessThan(1 << 20), "nothing of the file's size was allocated");
        Assert.That(error.Message, Does.Contain("is 16,777,217 bytes, more than the 16,777,216 (16 MiB) a config may be"));
    }

    [Test]
    public void ALinkedFileIsMeasuredAtItsTarget()
    {
        // Hub caches keep every file as a link to a blob; the link's own length is not the file's.
        string target = _folder.File("blob");
        File.WriteAllText(target, "{\"model_type\": \"clip\"}");
        string link = _folder.File("config.json");
        File.CreateSymbolicLink(link, target);
        Assert.That(InputFiles.RequireRegularFile(link, "config"), Is.EqualTo(new FileInfo(target).Length));
        Assert.That(HfConfig.ReadModelType(link), Is.EqualTo("clip"));
    }

    [Test]
    public void InvalidUtf8IsRefusedWithItsOffsetAndAByteOrderMarkIsDropped()
    {
        string path = _folder.File("merges.txt");
        File.WriteAllBytes(path, [.. "#version\na b\n"u8, 0xC3, 0x28]);
        Assert.That(Refused(path, () => InputFiles.ReadAllText(path, 1000, "merges.txt")).Message, Does.Contain("invalid byte at offset 13"));
        File.WriteAllBytes(path, [0xEF, 0xBB, 0xBF, .. "a b"u8]);
        Assert.That(InputFiles.ReadAllText(path, 1000, "merges.txt"), Is.EqualTo("a b"));
    }

    [Test]
    public void JsonSyntaxErrorsNameTheFileLineAndColumn()
    {
        var error = Assert.Throws<HfConfigException>(() => InputFiles.ParseJson(Encoding.UTF8.GetBytes("{\n  \"a\": ,\n}"), "cfg.json",
            (message, inner) => new HfConfigException(message, inner)))!;
        Assert.That(error.Message, Does.StartWith("cfg.json: not valid JSON at line 2, column 8:"));
        Assert.That(error.Message, Does.Not.Contain("LineNumber").And.Not.Contain("BytePositionInLine"));
    }

    [Test]
    public void AMissingFileIsNamed()
    {
        string path = _folder.File("nowhere.json");
        Assert.That(Refused(path, () => InputFiles.ReadAllBytes(path, 10, "config")).Message, Does.Contain("no such file (expected the config)"));
    }
}
