namespace StyleAlign.Engine.IO;

/// <summary>Checkpoint tensor-name spellings.</summary>
public static class WeightNames
{
    private const string NewLanguageModelPrefix = "model.language_model.";
    private const string NewVisionPrefix = "model.visual.";

    /// <summary>
    /// Maps the names transformers ≥ 4.52 saves Qwen2.5-VL with to the legacy hub names the engine uses:
    /// <c>model.language_model.X</c> → <c>model.X</c>, <c>model.visual.X</c> → <c>visual.X</c>; any other name
    /// (legacy names, <c>lm_head.weight</c>) is returned unchanged.
    /// </summary>
    public static string NormalizeQwen(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (key.StartsWith(NewLanguageModelPrefix, StringComparison.Ordinal))
            return string.Concat("model.", key.AsSpan(NewLanguageModelPrefix.Length));
        if (key.StartsWith(NewVisionPrefix, StringComparison.Ordinal))
            return string.Concat("visual.", key.AsSpan(NewVisionPrefix.Length));
        return key;
    }
}
