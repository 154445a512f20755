using System.CommandLine;
using System.Text.RegularExpressions;
using StyleAlign.Cli;

namespace StyleAlign.Tests.Fuzz;

/// <summary>What one engine-cli command line printed and returned.</summary>
internal sealed record VerbOutcome(IReadOnlyList<string> Args, int Code, string Output, string Error);

/// <summary>
/// Runs engine-cli in-process as the executable would and judges what a user would see. A command fails the fuzzer
/// when stderr holds a stack trace, a .NET exception type, text .NET writes for an unanticipated failure, an internal
/// error, or a line that is neither the one "error:" line (with indented detail under it) nor a "warning:" line; when
/// a refusal names no file, line, key or tensor the case requires; when an invalid input is accepted or a valid one
/// refused; or when the exit code is not 1 for bad data and 2 for a usage error (with its hint to --help).
/// </summary>
internal static partial class VerbOracle
{
    /// <summary>What .NET writes when code failed in a way nobody anticipated (the user should read a named error instead).</summary>
    private static readonly string[] GenericTexts =
    [
        "Index was outside the bounds", "Object reference not set", "The given key", "was not present in the dictionary",
        "Sequence contains", "Arithmetic operation resulted in an overflow", "Attempted to divide by zero", "Value cannot be null",
        "Specified argument was out of the range", "The requested operation requires an element of type", "An item with the same key",
        "Input string was not in a correct format", "Unable to cast", "Nullable object must have a value", "Collection was modified",
        "Exception of type", "internal error:", "Operation is not valid due to the current state",
    ];

    public static VerbOutcome Run(IReadOnlyList<string> args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        lock (ConsoleLock)
        {
            var (savedOut, savedError) = (Console.Out, Console.Error);
            Console.SetOut(output);
            Console.SetError(error);
            try
            {
                var code = CliApp.Run(args, new InvocationConfiguration { Output = output, Error = error });
                return new VerbOutcome(args, code, output.ToString(), error.ToString());
            }
            finally
            {
                Console.SetOut(savedOut);
                Console.SetError(savedError);
            }
        }
    }

    /// <summary>The console is one per process: cases run one at a time.</summary>
    private static readonly object ConsoleLock = new();

    /// <summary>Null when the outcome is what <paramref name="expect"/> allows, otherwise why not.</summary>
    /// <param name="usage">true: the command line makes no sense (exit code 2 with the --help hint); false: only the data
    /// can be wrong (exit code 1); null: either</param>
    /// <param name="flag">what a usage refusal must name</param>
    public static string? Judge(VerbOutcome outcome, Expect expect, IReadOnlyList<string> mustName, bool? usage = false, string? flag = null)
    {
        var lines = outcome.Error.Replace("\r", "", StringComparison.Ordinal).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var shown = $"exit {outcome.Code}: {Shorten(outcome.Error.Trim())}";
        if (lines.Any(l => StackFrame().IsMatch(l))) return $"stack trace: {shown}";
        if (ExceptionType().IsMatch(outcome.Error)) return $".NET exception type reaches the user: {shown}";
        if (GenericTexts.FirstOrDefault(t => outcome.Error.Contains(t, StringComparison.Ordinal)) is { } generic)
            return $"generic .NET text '{generic}' reaches the user: {shown}";
        var errorLines = lines.Count(l => l.StartsWith("error: ", StringComparison.Ordinal));
        var stray = lines.FirstOrDefault(l => !l.StartsWith("error: ", StringComparison.Ordinal) && !l.StartsWith("warning: ", StringComparison.Ordinal) && !char.IsWhiteSpace(l[0]));
        if (stray is not null) return $"stderr line is neither 'error:' nor 'warning:' ('{Shorten(stray)}'): {shown}";
        switch (outcome.Code)
        {
            case ExitCodes.Ok:
                if (errorLines > 0) return $"exit 0 with an error line: {shown}";
                return expect == Expect.Refuse ? $"invalid input accepted ({shown})" : null;
            case ExitCodes.Failure:
            case ExitCodes.Usage:
                if (errorLines != 1) return $"{errorLines} error lines (expected one): {shown}";
                if (expect == Expect.Accept) return $"valid input refused: {shown}";
                var first = lines.First(l => l.StartsWith("error: ", StringComparison.Ordinal));
                bool exitedUsage = outcome.Code == ExitCodes.Usage;
                if (usage is { } mustBeUsage && mustBeUsage != exitedUsage)
                    return mustBeUsage ? $"a usage error exits {outcome.Code}, not 2: {shown}" : $"bad data exits 2 (usage), not 1: {shown}";
                if (exitedUsage && !first.EndsWith("--help')", StringComparison.Ordinal)) return $"usage error without a hint to --help at its end: {shown}";
                if (exitedUsage && flag is not null && !first.Contains(flag, StringComparison.Ordinal)) return $"usage error does not name {flag}: {shown}";
                var detail = string.Join("\n", lines.SkipWhile(l => l != first).TakeWhile(l => l == first || !l.StartsWith("warning: ", StringComparison.Ordinal)));
                var unnamed = mustName.Where(n => !detail.Contains(n, StringComparison.Ordinal)).ToList();
                return unnamed.Count > 0 ? $"error does not name {string.Join(", ", unnamed.Select(n => $"'{n}'"))}: {shown}" : null;
            default:
                return $"exit code {outcome.Code}: {shown}";
        }
    }

    private static string Shorten(string text) => text.Length <= 400 ? text : text[..400] + "…";

    [GeneratedRegex(@"^\s+at \S+.*\(.*\)")]
    private static partial Regex StackFrame();

    [GeneratedRegex(@"System\.[A-Za-z.]*Exception")]
    private static partial Regex ExceptionType();
}
