using Microsoft.ML.Tokenizers;

namespace StyleAlign.Engine.IO.Tokenizers;

/// <summary>Builds the library's BPE model, turning its own complaints about a vocabulary into an error that names the file.</summary>
internal static class BpeModels
{
    public static BpeTokenizer Create(BpeOptions options, string source)
    {
        try
        {
            return BpeTokenizer.Create(options);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or KeyNotFoundException or FormatException)
        {
            throw new TokenizerFormatException($"{source}: the BPE vocabulary and merges cannot be used: {e.Message}", e);
        }
    }
}
