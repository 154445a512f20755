using System.CommandLine;
using System.CommandLine.Invocation;
using System.CommandLine.Parsing;
using System.Reflection;

namespace StyleAlign.Cli;

/// <summary>Exit codes every verb uses.</summary>
public static class ExitCodes
{
    public const int Ok = 0;
    /// <summary>Bad data or a failed run.</summary>
    public const int Failure = 1;
    /// <summary>The command line asked for something impossible.</summary>
    public const int Usage = 2;
}

/// <summary>An error in what the user asked for: reported as one line, exit code 2.</summary>
public sealed class UsageException(string message) : Exception(message);

/// <summary>
/// The one error path of engine-cli. Every verb's action runs inside <see cref="Run"/> (the root wires it in) and
/// parse errors go through <see cref="ReportParseErrors"/>: each failure becomes one stderr line "error: …" naming
/// what failed, its further lines indented below it, the stack trace only with --verbose; exit code 2 for usage
/// errors, 1 for bad data or a failed run. The only other lines a verb writes to stderr start with "warning: ".
/// </summary>
public static class CliErrors
{
    public static readonly Option<bool> Verbose = new("--verbose") { Description = "Print stack traces with errors", Recursive = true };

    /// <summary>Runs a verb's action; an exception becomes the error line and its exit code.</summary>
    public static int Run(ParseResult parse, SynchronousCommandLineAction action)
    {
        try
        {
            return action.Invoke(parse);
        }
        catch (Exception e)
        {
            return Report(e, parse.InvocationConfiguration.Error, parse.GetValue(Verbose), HelpHint(parse.CommandResult));
        }
    }

    /// <summary>
    /// Writes the error line (and, when verbose, the stack trace); returns the exit code. A usage error's line ends
    /// with <paramref name="helpHint"/> (where to read about the flags).
    /// </summary>
    public static int Report(Exception exception, TextWriter error, bool verbose, string? helpHint = null)
    {
        var e = Unwrap(exception);
        var lines = Describe(e).Replace("\r", "", StringComparison.Ordinal).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var first = lines.Length > 0 ? lines[0] : "the command failed";
        if (e is UsageException && helpHint is not null) first += $" ({helpHint})";
        error.WriteLine($"error: {first}");
        foreach (var line in lines.Skip(1)) error.WriteLine(Indent(line));
        if (verbose)
            foreach (var line in e.ToString().Replace("\r", "", StringComparison.Ordinal).Split('\n')) error.WriteLine(Indent(line));
        return e is UsageException ? ExitCodes.Usage : ExitCodes.Failure;
    }

    /// <summary>A command line that did not parse: one error line with a pointer to the verb's help, exit code 2.</summary>
    public static int ReportParseErrors(ParseResult parse, TextWriter error)
    {
        var messages = string.Join(" ", parse.Errors.Select(e => Plain(e.Message.Trim())).Distinct());
        error.WriteLine($"error: {messages} ({HelpHint(parse.CommandResult)})");
        return ExitCodes.Usage;
    }

    /// <summary>"see 'engine-cli simpo --help'": where the flags of the command that failed are described.</summary>
    private static string HelpHint(CommandResult command) => $"see '{CommandPath(command)} --help'";

    /// <summary>The parser names the .NET type a value did not convert to; the user reads what kind of value it needs.</summary>
    private static string Plain(string parserMessage) =>
        System.Text.RegularExpressions.Regex.Replace(parserMessage, "as expected type '([^']+)'", match => "as " + ValueKind(match.Groups[1].Value));

    private static string ValueKind(string typeName) => typeName switch
    {
        _ when typeName.Contains("UInt", StringComparison.Ordinal) => "a non-negative integer",
        _ when typeName.Contains("Int", StringComparison.Ordinal) => "an integer",
        _ when typeName.Contains("Double", StringComparison.Ordinal) || typeName.Contains("Single", StringComparison.Ordinal) => "a number",
        _ when typeName.Contains("Boolean", StringComparison.Ordinal) => "true or false",
        _ => "the kind of value the flag takes",
    };

    /// <summary>Runs a check of values that came from flags: the <see cref="ArgumentException"/> it throws is a usage error.</summary>
    public static void AsUsage(Action validate)
    {
        try
        {
            validate();
        }
        catch (ArgumentException e)
        {
            throw new UsageException(Describe(e));
        }
    }

    public static void Warn(ParseResult parse, string message) => parse.InvocationConfiguration.Error.WriteLine($"warning: {message}");

    /// <summary>
    /// The message a user reads: the exception's own text without what .NET appends to it (the parameter name, the
    /// actual value, the object name). Out of memory is said plainly; a failure the engine did not anticipate is
    /// marked as an internal error.
    /// </summary>
    internal static string Describe(Exception e) => e switch
    {
        OutOfMemoryException => "out of memory: this run needs more memory than the machine could give it (try a smaller batch, shorter captions or a smaller model)",
        NullReferenceException or IndexOutOfRangeException or InvalidCastException or ArrayTypeMismatchException or DivideByZeroException
            => $"internal error: {e.Message} (run with --verbose for the stack trace)",
        ArgumentNullException missing => $"internal error: '{missing.ParamName}' was null (run with --verbose for the stack trace)",
        ArgumentOutOfRangeException { ActualValue: not null } range => StripParameter(range, FirstLines(range.Message, 1)),
        ArgumentException argument => StripParameter(argument, argument.Message),
        ObjectDisposedException disposed => FirstLines(disposed.Message, 1),
        _ => e.Message,
    };

    private static Exception Unwrap(Exception e) => e switch
    {
        AggregateException { InnerExceptions.Count: 1 } aggregate => Unwrap(aggregate.InnerExceptions[0]),
        TargetInvocationException { InnerException: { } inner } => Unwrap(inner),
        TypeInitializationException { InnerException: { } inner } => Unwrap(inner),
        _ => e,
    };

    private static string StripParameter(ArgumentException e, string message)
    {
        var suffix = $" (Parameter '{e.ParamName}')";
        return e.ParamName is not null && message.EndsWith(suffix, StringComparison.Ordinal) ? message[..^suffix.Length] : message;
    }

    private static string FirstLines(string message, int count) =>
        string.Join("\n", message.Replace("\r", "", StringComparison.Ordinal).Split('\n').Take(count));

    private static string Indent(string line) => line.Length > 0 && char.IsWhiteSpace(line[0]) ? line : "  " + line;

    private static string CommandPath(CommandResult command)
    {
        var names = new List<string>();
        for (SymbolResult? r = command; r is CommandResult c; r = c.Parent)
            if (c.Parent is not null) names.Add(c.Command.Name);
        names.Add(CliApp.Name);
        names.Reverse();
        return string.Join(" ", names);
    }
}
