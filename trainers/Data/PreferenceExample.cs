using StyleAlign.Engine.IO;

namespace StyleAlign.Trainers.Data;

/// <summary>
/// One preference example: an image, the instruction, the preferred (stylized) caption and the rejected
/// (factual) one. <see cref="Rejected"/> is null for SFT-only data.
/// </summary>
public sealed record PreferenceExample(
    string Id,
    string ImagePath,
    string Prompt,
    string Chosen,
    string? Rejected,
    string? Style,
    int LineNumber,
    string? SourcePath = null);

/// <summary>How strictly a data file is read.</summary>
public sealed record DataLoadOptions
{
    /// <summary>When false (SFT data), lines may omit "rejected".</summary>
    public bool RequireRejected { get; init; } = true;

    /// <summary>Skip and count bad lines instead of throwing on the first one.</summary>
    public bool SkipBad { get; init; }

    /// <summary>Decode every referenced image once to catch corrupt files before training starts.</summary>
    public bool VerifyImages { get; init; } = true;

    /// <summary>Keep only examples of this style (null keeps all). Lines without a style never match.</summary>
    public string? Style { get; init; }

    /// <summary>Let image paths leave the data file's folder (absolute or ../ paths); null: <see cref="InputPaths.OutsideAllowed"/>.</summary>
    public bool? AllowOutsidePaths { get; init; }

    public static DataLoadOptions Preference { get; } = new();

    public static DataLoadOptions Sft { get; } = new() { RequireRejected = false };
}

/// <summary>A bad line in a data file; the message reads "file:line: reason".</summary>
public sealed class DataFormatException : FormatException
{
    public DataFormatException(string filePath, int lineNumber, string reason)
        : base(lineNumber > 0 ? $"{filePath}:{lineNumber}: {reason}" : $"{filePath}: {reason}")
    {
        FilePath = filePath;
        LineNumber = lineNumber;
        Reason = reason;
    }

    public string FilePath { get; }

    /// <summary>1-based line number; 0 when the problem concerns the whole file.</summary>
    public int LineNumber { get; }

    public string Reason { get; }
}

/// <summary>
/// Bounds on what one line of a data file may hold (docs/input-limits.md). They sit far above real data and keep
/// every line's work bounded: a text field is tokenized whole before a caption is cut to its token limit.
/// </summary>
public static class DataLimits
{
    /// <summary>Bytes in one line of a JSONL data file.</summary>
    public const int MaxLineBytes = 1 << 20;

    /// <summary>Characters in one prompt or caption (real ones hold tens to a few hundred).</summary>
    public const int MaxTextCharacters = 8192;
}
