using System.CommandLine;

namespace StyleAlign.Cli;

/// <summary>Exit codes every verb uses.</summary>
public static class ExitCodes
{
    public const int Ok = 0;
    public const int Failure = 1;
    public const int Usage = 2;
}

/// <summary>An error in what the user asked for: reported as one line, exit code 2.</summary>
public sealed class UsageException(string message) : Exception(message);

/// <summary>Shared verb plumbing: one-line errors (stack traces only with --verbose) and common options.</summary>
public static class VerbSupport
{
    public static readonly Option<bool> Verbose = new("--verbose") { Description = "Print stack traces with errors", Recursive = true };

    public static Option<string> Weights(bool required = true) => new("--weights")
    {
        Description = "Checkpoint folder (config.json + *.safetensors) or one .safetensors file with config.json beside it",
        Required = required,
    };

    public static Option<string> DeviceOption() => new("--device")
    {
        Description = "cpu or cuda:N",
        DefaultValueFactory = _ => "cpu",
    };

    /// <summary>Runs a verb body, turning exceptions into one clear line on stderr and an exit code.</summary>
    public static int Run(ParseResult parse, Func<int> body)
    {
        try
        {
            return body();
        }
        catch (UsageException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return ExitCodes.Usage;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            Console.Error.WriteLine($"error: {Flatten(e.Message)}");
            if (parse.GetValue(Verbose)) Console.Error.WriteLine(e);
            return ExitCodes.Failure;
        }
    }

    public static void Warn(string message) => Console.Error.WriteLine($"warning: {message}");

    private static string Flatten(string message) => message.Replace("\r", "", StringComparison.Ordinal);
}
