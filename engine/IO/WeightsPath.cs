namespace StyleAlign.Engine.IO;

/// <summary>
/// What a <c>--weights</c> path names: a checkpoint folder, or one <c>.safetensors</c> file whose folder holds the
/// config, tokenizer and processor files. A path that names nothing is refused as such, before any file inside it is
/// looked for (a missing folder would otherwise be reported as one without a tokenizer, a config or a safetensors file).
/// </summary>
public static class WeightsPath
{
    /// <summary>The folder holding the checkpoint's config.json (and tokenizer and processor files).</summary>
    public static string ConfigFolder(string weightsPath)
    {
        if (Directory.Exists(weightsPath)) return weightsPath;
        return Path.GetDirectoryName(RequireExisting(weightsPath))!;
    }

    /// <summary>The full path, when it names a folder or a file.</summary>
    public static string RequireExisting(string weightsPath)
    {
        string fullPath = Path.GetFullPath(weightsPath);
        if (!Directory.Exists(fullPath) && !File.Exists(fullPath))
            throw new InputFileException(fullPath, "no such folder or file (expected a checkpoint folder, or a .safetensors file with config.json beside it)");
        return fullPath;
    }
}
