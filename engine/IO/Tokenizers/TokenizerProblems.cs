namespace StyleAlign.Engine.IO.Tokenizers;

/// <summary>Problems found in one tokenizer file, thrown together as one <see cref="TokenizerFormatException"/>.</summary>
internal sealed class TokenizerProblems(string filePath)
{
    /// <summary>A broken file can have millions of bad entries; the first ones say enough.</summary>
    private const int MaxListed = 20;

    private readonly List<string> _problems = [];

    public bool Full => _problems.Count >= MaxListed;

    public bool Any => _problems.Count > 0;

    public void Add(string problem)
    {
        if (!Full) _problems.Add(problem);
    }

    public TokenizerFormatException Fatal(string problem) => new($"{filePath}: {problem}");

    public void ThrowIfAny()
    {
        if (_problems.Count == 0) return;
        string more = Full ? " (listing stops here)" : "";
        throw new TokenizerFormatException(
            $"{filePath}: invalid tokenizer file ({_problems.Count} problem{(_problems.Count == 1 ? "" : "s")}{more}):{Environment.NewLine}  {string.Join(Environment.NewLine + "  ", _problems)}");
    }
}
