using System.Reflection;
using System.Text;

namespace StyleAlign.Engine.Cuda;

/// <summary>
/// The CUDA C sources embedded in the engine assembly (resources "kernels/&lt;file&gt;"). Every `.cu` is a
/// kernel family; every `.cuh` is a header handed to NVRTC under its file name, so `#include "common.cuh"` resolves.
/// </summary>
public static class KernelSources
{
    private const string Prefix = "kernels/";
    private static readonly Lazy<IReadOnlyDictionary<string, string>> AllFiles = new(LoadAll);

    /// <summary>Family names (file names without ".cu"), sorted.</summary>
    public static IReadOnlyList<string> Families { get; } =
        AllFiles.Value.Keys.Where(f => f.EndsWith(".cu", StringComparison.Ordinal))
            .Select(f => f[..^3]).OrderBy(f => f, StringComparer.Ordinal).ToArray();

    /// <summary>Headers by include name ("common.cuh"), sorted by name so their order in cache keys is stable.</summary>
    public static IReadOnlyList<KeyValuePair<string, string>> Headers { get; } =
        AllFiles.Value.Where(kv => kv.Key.EndsWith(".cuh", StringComparison.Ordinal))
            .OrderBy(kv => kv.Key, StringComparer.Ordinal).ToArray();

    public static string Source(string family)
    {
        if (AllFiles.Value.TryGetValue(family + ".cu", out var text)) return text;
        throw new ArgumentException(
            $"Unknown kernel family '{family}': expected one of {string.Join(", ", Families)} (embedded as kernels/<family>.cu).",
            nameof(family));
    }

    private static IReadOnlyDictionary<string, string> LoadAll()
    {
        var assembly = typeof(KernelSources).Assembly;
        var files = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith(Prefix, StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var reader = new StreamReader(stream, Encoding.UTF8);
            files[resource[Prefix.Length..]] = reader.ReadToEnd();
        }
        return files;
    }
}
