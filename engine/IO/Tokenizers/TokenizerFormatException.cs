namespace StyleAlign.Engine.IO.Tokenizers;

/// <summary>Tokenizer files (tokenizer.json, vocab.json, merges.txt, tokenizer_config.json) that are malformed or
/// inconsistent; the message names the file and the key or line.</summary>
public sealed class TokenizerFormatException : InvalidInputException
{
    public TokenizerFormatException(string message) : base(message) { }

    public TokenizerFormatException(string message, Exception inner) : base(message, inner) { }
}
