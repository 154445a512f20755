using System.Text;
using NUnit.Framework;
using StyleAlign.Trainers.Data;
using StyleAlign.Trainers.Data.Import;

namespace StyleAlign.Tests.Import;

[TestFixture, Category("Unit")]
public class PickledStringListTests
{
    private static readonly string[] Names = ["1000092795_0b5d8c2a8c.jpg", "café ❤.jpg", "back\\slash.jpg"];

    [Test]
    public void ReadsProtocol0AsPython2AndPython3WriteIt()
    {
        Assert.That(PickledStringList.Parse(PickleBytes.Protocol0(Names), "train.p"), Is.EqualTo(Names));
        Assert.That(PickledStringList.Parse(PickleBytes.Protocol0(Names, firstMemo: 0), "train.p"), Is.EqualTo(Names));
        // Python 3.11: pickle.dumps(['1000092795_0b5d8c2a8c.jpg', 'café ❤.jpg'], protocol=0)
        var python = Encoding.Latin1.GetBytes("(lp0\nV1000092795_0b5d8c2a8c.jpg\np1\naVcaf\u00e9 \\u2764.jpg\np2\na.");
        Assert.That(PickledStringList.Parse(python, "train.p"), Is.EqualTo(Names[..2]));
    }

    [Test]
    public void ReadsBinaryProtocols()
    {
        Assert.That(PickledStringList.Parse(PickleBytes.Protocol2(Names), "train.p"), Is.EqualTo(Names));
        // Python 3.11: pickle.dumps(['1000092795_0b5d8c2a8c.jpg', 'café ❤.jpg'], protocol=4): PROTO 4, FRAME, MEMOIZE, SHORT_BINUNICODE
        byte[] protocol4 =
        [
            0x80, 0x04, 0x95, 0x31, 0, 0, 0, 0, 0, 0, 0, (byte)']', 0x94, (byte)'(', 0x8c, 0x19,
            .. "1000092795_0b5d8c2a8c.jpg"u8, 0x94, 0x8c, 0x0d, .. "café ❤.jpg"u8, 0x94, (byte)'e', (byte)'.',
        ];
        Assert.That(PickledStringList.Parse(protocol4, "train.p"), Is.EqualTo(Names[..2]));
    }

    [Test]
    public void ReadsPython2ByteStringsAndMemoReferences()
    {
        // Python 2 str items: STRING with escapes, BINSTRING, SHORT_BINSTRING; GET/BINGET repeat a memoized item.
        var text = Encoding.Latin1.GetBytes("(lp1\nS'it\\'s\\x41.jpg'\np2\nag2\na.");
        Assert.That(PickledStringList.Parse(text, "p"), Is.EqualTo(new[] { "it'sA.jpg", "it'sA.jpg" }));
        byte[] binary = [0x80, 2, (byte)']', (byte)'q', 1, (byte)'(', (byte)'U', 3, .. "a.j"u8, (byte)'q', 2, (byte)'T', 2, 0, 0, 0, 0xE9, (byte)'x', (byte)'h', 2, (byte)'e', (byte)'.'];
        Assert.That(PickledStringList.Parse(binary, "p"), Is.EqualTo(new[] { "a.j", "éx", "a.j" }));
    }

    [Test]
    public void RefusesOpcodesThatBuildOrCallObjects()
    {
        // pickle.dumps of a call to os.system: GLOBAL 'os system', MARK, STRING, TUPLE, REDUCE.
        var call = Encoding.ASCII.GetBytes("cos\nsystem\n(S'echo hi'\ntR.");
        var error = Assert.Throws<DataFormatException>(() => PickledStringList.Parse(call, "evil.p"))!;
        Assert.That(error.Message, Is.EqualTo("evil.p: byte 0: opcode 'c' (0x63) GLOBAL is not allowed: only a pickled list of strings can be read"));

        var dict = new byte[] { 0x80, 2, (byte)'}', (byte)'.' };
        Assert.That(Assert.Throws<DataFormatException>(() => PickledStringList.Parse(dict, "d.p"))!.Message, Does.Contain("byte 2: opcode '}' (0x7d) DICT is not allowed"));
    }

    [Test]
    public void RefusesValuesOtherThanAListOfStrings()
    {
        Assert.That(Assert.Throws<DataFormatException>(() => PickledStringList.Parse(Encoding.ASCII.GetBytes("Vx\n."), "s.p"))!.Message,
            Does.Contain("the pickled value is a string, expected a list of strings"));
        var nested = Encoding.ASCII.GetBytes("(l(lp1\na.");
        Assert.That(Assert.Throws<DataFormatException>(() => PickledStringList.Parse(nested, "n.p"))!.Message,
            Does.Contain("APPEND adds a list to the list, expected strings only"));
    }

    [Test]
    public void ReportsTruncationWithTheByteOffset()
    {
        var whole = PickleBytes.Protocol2(Names);
        var cut = whole[..20];
        var error = Assert.Throws<DataFormatException>(() => PickledStringList.Parse(cut, "train.p"))!;
        Assert.That(error.Message, Does.StartWith("train.p: byte 11: truncated: BINUNICODE needs 25 bytes, only 9 remain"));

        var noStop = PickleBytes.Protocol0(Names)[..^1];
        Assert.That(Assert.Throws<DataFormatException>(() => PickledStringList.Parse(noStop, "train.p"))!.Message,
            Does.Contain("truncated: the file ends where an opcode should be (no STOP opcode)"));

        var unterminated = Encoding.ASCII.GetBytes("(lp1\nVabc");
        Assert.That(Assert.Throws<DataFormatException>(() => PickledStringList.Parse(unterminated, "train.p"))!.Message,
            Does.Contain("byte 6: truncated: the argument of UNICODE has no closing newline"));
    }

    [Test]
    public void ADeclaredLengthBeyondTheFileAllocatesNothing()
    {
        byte[] huge = [0x80, 4, (byte)']', (byte)'(', 0x8d, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, (byte)'e', (byte)'.'];
        var error = Assert.Throws<DataFormatException>(() => PickledStringList.Parse(huge, "big.p"))!;
        Assert.That(error.Message, Does.Contain("truncated: BINUNICODE8 needs 9223372036854775807 bytes, only 2 remain"));
    }

    [Test]
    public void RejectsDataAfterStopAndAnUnknownMemoEntry()
    {
        var trailing = PickleBytes.Protocol0(Names).Append((byte)'\n').ToArray();
        Assert.That(Assert.Throws<DataFormatException>(() => PickledStringList.Parse(trailing, "t.p"))!.Message, Does.Contain("1 bytes follow the STOP opcode"));
        var missingMemo = Encoding.ASCII.GetBytes("(lp1\ng7\na.");
        Assert.That(Assert.Throws<DataFormatException>(() => PickledStringList.Parse(missingMemo, "m.p"))!.Message, Does.Contain("byte 5: memo entry 7 was never stored"));
    }
}
