using System.CommandLine;
using System.Reflection;

namespace StyleAlign.Cli;

/// <summary>
/// A verb of engine-cli. Each verb lives in its own file under Verbs/ and is found by reflection,
/// so adding a verb never touches a shared registration list.
/// </summary>
public interface IVerb
{
    Command Build();
}

/// <summary>Builds the verb tree from every <see cref="IVerb"/> in this assembly.</summary>
public static class CliApp
{
    public static RootCommand BuildRoot()
    {
        var root = new RootCommand("StyleAlign Engine: align vision-language models to a style with preference training.");
        var verbs = typeof(CliApp).Assembly.GetTypes()
            .Where(t => typeof(IVerb).IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false })
            .Select(t => (IVerb)Activator.CreateInstance(t)!)
            .Select(v => v.Build())
            .OrderBy(c => c.Name, StringComparer.Ordinal);
        root.Options.Add(VerbSupport.Verbose);
        foreach (var command in verbs) root.Subcommands.Add(command);
        return root;
    }

    public static int Run(string[] args) => BuildRoot().Parse(args).Invoke();
}
