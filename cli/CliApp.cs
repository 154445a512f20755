using System.CommandLine;

namespace StyleAlign.Cli;

/// <summary>Builds the verb tree; each verb lives in its own file under Verbs/.</summary>
public static class CliApp
{
    public static int Run(string[] args)
    {
        var root = new RootCommand("StyleAlign Engine: align vision-language models to a style with preference training.");
        return root.Parse(args).Invoke();
    }
}
