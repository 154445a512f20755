using System.CommandLine;
using System.CommandLine.Invocation;
using StyleAlign.Engine.IO;

namespace StyleAlign.Cli;

/// <summary>
/// A verb of engine-cli. Each verb lives in its own file under Verbs/ and is found by reflection,
/// so adding a verb never touches a shared registration list.
/// </summary>
public interface IVerb
{
    Command Build();
}

/// <summary>Builds the verb tree from every <see cref="IVerb"/> in this assembly and runs a command line through it.</summary>
public static class CliApp
{
    public const string Name = "engine-cli";

    /// <summary>The verb tree; every verb's action runs inside <see cref="CliErrors.Run"/>.</summary>
    public static RootCommand BuildRoot()
    {
        var root = new RootCommand("StyleAlign Engine: align vision-language models to a style with preference training.");
        var verbs = typeof(CliApp).Assembly.GetTypes()
            .Where(t => typeof(IVerb).IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false })
            .Select(t => (IVerb)Activator.CreateInstance(t)!)
            .Select(v => v.Build())
            .OrderBy(c => c.Name, StringComparer.Ordinal);
        root.Options.Add(CliErrors.Verbose);
        foreach (var command in verbs)
        {
            RouteErrors(command);
            root.Subcommands.Add(command);
        }
        return root;
    }

    public static int Run(string[] args) => Run(args, new InvocationConfiguration());

    /// <summary>Parses and runs; a command line that does not parse gets one error line, not the whole help.</summary>
    public static int Run(IReadOnlyList<string> args, InvocationConfiguration configuration)
    {
        var parse = BuildRoot().Parse(args);
        return parse.Action is ParseErrorAction
            ? CliErrors.ReportParseErrors(parse, configuration.Error)
            : parse.Invoke(configuration);
    }

    private static void RouteErrors(Command command)
    {
        switch (command.Action)
        {
            case SynchronousCommandLineAction action:
                var allowOutside = command.Options.OfType<Option<bool>>().FirstOrDefault(o => o.Name == VerbSupport.AllowOutsidePathsFlag);
                command.SetAction(parse =>
                {
                    // The flag lifts the folder confinement for every loader the verb calls (InputPaths).
                    using var paths = InputPaths.AllowOutside(allowOutside is not null && parse.GetValue(allowOutside));
                    return CliErrors.Run(parse, action);
                });
                break;
            case not null:
                throw new InvalidOperationException($"verb '{command.Name}' has an asynchronous action; engine-cli verbs are synchronous so their errors go through CliErrors");
        }
        foreach (var sub in command.Subcommands) RouteErrors(sub);
    }
}
