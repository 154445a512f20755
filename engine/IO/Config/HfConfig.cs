namespace StyleAlign.Engine.IO.Config;

/// <summary>Model-independent helpers for Hugging Face config.json files.</summary>
public static class HfConfig
{
    /// <summary>The <c>model_type</c> of a config.json file or of a folder holding one.</summary>
    public static string ReadModelType(string path)
    {
        ConfigJson config = ConfigJson.Load(path);
        string modelType = config.String("model_type");
        config.ThrowIfProblems("model");
        return modelType;
    }

    /// <summary>A folder path (existing, or written with a trailing separator) means its config.json.</summary>
    internal static string ConfigFilePathForWrite(string path)
    {
        bool isFolder = Directory.Exists(path) || path.EndsWith(Path.DirectorySeparatorChar) || path.EndsWith(Path.AltDirectorySeparatorChar);
        return Path.GetFullPath(isFolder ? Path.Combine(path, "config.json") : path);
    }
}
