using System.Text.RegularExpressions;

namespace StyleAlign.Engine.IO.Tokenizers;

/// <summary>The Qwen2 and CLIP split regexes rewritten so that .NET matches them per code point, as Hugging Face's
/// engine does: <c>\p{L}</c>/<c>\p{N}</c> also accept astral letters/numbers written as surrogate pairs, and a
/// negated class consumes a whole surrogate pair (or a lone surrogate), never half of one.</summary>
internal static class CodePointRegex
{
    private const string AstralLetter = AstralCharacterClasses.Letter;
    private const string AstralNumber = AstralCharacterClasses.Number;
    private const string LoneSurrogate = @"[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]";

    private static readonly string Letter = $@"(?:\p{{L}}|{AstralLetter})";
    private static readonly string Number = $@"(?:\p{{N}}|{AstralNumber})";
    private static readonly string OtherAstral = $@"(?!{AstralLetter}|{AstralNumber})[\uD800-\uDBFF][\uDC00-\uDFFF]";

    /// <summary>Equivalent of Qwen2's <c>tokenizer.json</c> split regex.</summary>
    public static readonly string Qwen =
        $@"(?i:'s|'t|'re|'ve|'m|'ll|'d)|{NoneOf(@"\r\n\p{L}\p{N}")}?{Letter}+|{Number}| ?{NoneOf(@"\s\p{L}\p{N}")}+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    /// <summary>Equivalent of CLIP's split regex without its special-token alternatives.</summary>
    public static readonly string Clip =
        $@"'s|'t|'re|'ve|'m|'ll|'d|{Letter}+|{Number}|{NoneOf(@"\s\p{L}\p{N}")}+";

    // Compiling these large patterns takes about a second, so every tokenizer instance shares one (Regex is thread-safe).
    private static readonly Lazy<Regex> QwenRegex = new(() => new Regex(Qwen, RegexOptions.Compiled));
    private static readonly Lazy<Regex> ClipRegex = new(() => new Regex(Clip, RegexOptions.Compiled | RegexOptions.IgnoreCase));

    public static Regex QwenSplitter => QwenRegex.Value;

    public static Regex ClipSplitter => ClipRegex.Value;

    /// <summary>One code point not in the given class body; surrogate pairs are classified by their code point.</summary>
    private static string NoneOf(string classBody) => $@"(?:[^{classBody}\uD800-\uDFFF]|{OtherAstral}|{LoneSurrogate})";
}
