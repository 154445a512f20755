namespace StyleAlign.Engine.IO.Config;

/// <summary>A Hugging Face JSON config (config.json, preprocessor_config.json) that is unreadable, lacks required
/// keys, or holds values of the wrong kind or outside what the model allows.</summary>
public sealed class HfConfigException : InvalidInputException
{
    public HfConfigException(string message) : base(message) { }

    public HfConfigException(string message, Exception inner) : base(message, inner) { }

    /// <summary>Throws one error listing <paramref name="problems"/> under "<paramref name="configPath"/>: <paramref name="heading"/>:", if any.</summary>
    internal static void ThrowIfAny(IReadOnlyCollection<string> problems, string configPath, string heading)
    {
        if (problems.Count > 0)
            throw new HfConfigException(
                $"{Path.GetFullPath(configPath)}: {heading}:{Environment.NewLine}  {string.Join(Environment.NewLine + "  ", problems)}");
    }
}
