using System.Text;

namespace StyleAlign.Engine.IO.Tokenizers;

/// <summary>
/// .NET strings may hold lone UTF-16 surrogates (JSON's "\ud800" escape produces one), which no UTF-8 tokenizer can
/// encode. They are replaced by U+FFFD, as a UTF-8 encoder does, so the text is tokenized rather than refused.
/// </summary>
public static class TextSanitizer
{
    public static bool HasLoneSurrogate(string text)
    {
        for (int i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])) i++;
            else if (char.IsSurrogate(text[i])) return true;
        }
        return false;
    }

    public static string ReplaceLoneSurrogates(string text)
    {
        if (!HasLoneSurrogate(text)) return text;
        var builder = new StringBuilder(text.Length);
        for (int i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                builder.Append(text, i, 2);
                i++;
            }
            else builder.Append(char.IsSurrogate(text[i]) ? '\uFFFD' : text[i]);
        }
        return builder.ToString();
    }
}
