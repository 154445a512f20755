using NUnit.Framework;
using StyleAlign.Engine.IO.Tokenizers;

namespace StyleAlign.Tests.Text;

[TestFixture]
[Category("Unit")]
public class UnicodeNormalizationTests
{
    // Expected values are Python's unicodedata.normalize("NFC", ...).
    [TestCase("plain ascii", "plain ascii")]
    [TestCase("cafe\u0301", "caf\u00e9")]
    [TestCase("A\u030a", "\u00c5")]
    [TestCase("\u212b", "\u00c5")] // Angstrom sign is a singleton decomposition
    [TestCase("q\u0307\u0323", "q\u0323\u0307")] // reordered by combining class, no composite exists
    [TestCase("\u1e0b\u0323", "\u1e0d\u0307")] // d-dot-above + dot-below → d-dot-below + dot-above
    [TestCase("\u1100\u1161\u11a8", "\uac01")] // Hangul L V T
    [TestCase("\u0958", "\u0915\u093c")] // composition exclusion stays decomposed
    [TestCase("\u0301e", "\u0301e")] // leading non-starter
    [TestCase("\U0001d15e", "\U0001d157\U0001d165")] // astral exclusion
    public void MatchesPythonNfc(string input, string expected)
    {
        Assert.That(UnicodeNormalization.Nfc(input), Is.EqualTo(expected));
    }
}
