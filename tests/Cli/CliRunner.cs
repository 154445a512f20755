using System.CommandLine;
using NUnit.Framework;
using StyleAlign.Cli;

namespace StyleAlign.Tests.Cli;

/// <summary>Runs engine-cli in-process the way the executable does, capturing stdout and stderr (console and writers alike).</summary>
internal static class CliRunner
{
    public static (int Code, string Output, string Error) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var (savedOut, savedError) = (Console.Out, Console.Error);
        Console.SetOut(output);
        Console.SetError(error);
        try
        {
            var code = CliApp.Run(args, new InvocationConfiguration { Output = output, Error = error });
            return (code, output.ToString(), error.ToString());
        }
        finally
        {
            Console.SetOut(savedOut);
            Console.SetError(savedError);
        }
    }

    /// <summary>The stderr lines of a failed command: exactly one "error: " line, anything after it indented.</summary>
    public static string[] AssertOneErrorLine(string error)
    {
        var lines = error.Replace("\r", "").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines, Is.Not.Empty, "an error is reported");
        Assert.That(lines[0], Does.StartWith("error: "), error);
        Assert.That(lines.Skip(1), Has.All.Match("^\\s"), "lines after the error line are indented detail");
        Assert.That(error, Does.Not.Match("System\\.[A-Za-z.]*Exception"), "no .NET exception type reaches the user");
        return lines;
    }
}
