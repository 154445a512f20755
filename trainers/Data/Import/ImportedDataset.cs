namespace StyleAlign.Trainers.Data.Import;

/// <summary>One imported image with its captions: the factual one and one per style.</summary>
/// <param name="ImageFile">the image's path inside the output folder, with forward slashes ("images/123.jpg")</param>
public sealed record ImportedItem(string Id, string Split, string ImageFile, string Factual, IReadOnlyDictionary<string, string> Stylized);

/// <summary>A row or line left out under --skip-bad: what kind of problem, and the full error (file, line or row, reason).</summary>
public sealed record ImportSkip(string Kind, DataFormatException Error);

/// <summary>What an importer wrote and what it left out.</summary>
public sealed record ImportSummary(
    string Dataset,
    string OutputDirectory,
    IReadOnlyDictionary<string, int> ImagesPerSplit,
    IReadOnlyDictionary<string, int> PairsPerSplit,
    IReadOnlyList<ImportSkip> Skipped,
    IReadOnlyList<string> Notes)
{
    public int TotalPairs => PairsPerSplit.Values.Sum();

    public int TotalImages => ImagesPerSplit.Values.Sum();
}

/// <summary>
/// Row-level problems of an import: thrown at once (a one-line error naming file and row or line), or, with
/// skip-bad, recorded by kind so the summary can count them.
/// </summary>
public sealed class ImportProblems(bool skipBad)
{
    private readonly List<ImportSkip> _skipped = [];

    public IReadOnlyList<ImportSkip> Skipped => _skipped;

    /// <summary>Throws <paramref name="error"/>, or records it when bad rows are skipped.</summary>
    public void Report(string kind, DataFormatException error)
    {
        if (!skipBad) throw new DataFormatException(error.FilePath, error.LineNumber, $"{error.Reason} (pass --skip-bad to skip such rows and count them)");
        _skipped.Add(new ImportSkip(kind, error));
    }
}
