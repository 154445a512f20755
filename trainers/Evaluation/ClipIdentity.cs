using System.Security.Cryptography;
using StyleAlign.Engine.IO;

namespace StyleAlign.Trainers.Evaluation;

/// <summary>Which CLIP produced a set of embeddings: the folder name and the SHA-256 of its weights file.</summary>
public sealed record ClipIdentity(string Name, string WeightsSha256)
{
    /// <summary>A file-name-safe key: the folder name plus the first 16 hex digits of the weights hash.</summary>
    public string Key => string.Concat(Name.Select(c => char.IsLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_')) + "-" + WeightsSha256[..16];

    public static ClipIdentity Of(string clipFolder)
    {
        var full = Path.GetFullPath(clipFolder);
        var weights = Path.Combine(full, "model.safetensors");
        if (!File.Exists(weights)) weights = Path.Combine(full, "model.safetensors.index.json");
        if (!File.Exists(weights))
            throw new FileNotFoundException($"{full}: a CLIP folder needs model.safetensors (or model.safetensors.index.json)", weights);
        InputFiles.RequireRegularFile(weights, "CLIP weights");
        using var stream = File.OpenRead(weights);
        var hash = Convert.ToHexStringLower(SHA256.HashData(stream));
        return new ClipIdentity(Path.GetFileName(full.TrimEnd(Path.DirectorySeparatorChar)), hash);
    }

    public override string ToString() => $"{Name} (sha256 {WeightsSha256})";
}
