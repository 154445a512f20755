using StyleAlign.Engine.IO;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using StyleAlign.Engine.Models.Qwen25VL;
using StyleAlign.Trainers.Batching;
using StyleAlign.Trainers.Data;

namespace StyleAlign.Trainers.Training;

/// <summary>
/// Reference sequence sums S_ref(chosen), S_ref(rejected) per example id, computed once without gradients and
/// stored as <c>ref_logps.json</c> beside the run. The file is valid only for the same fingerprint: SHA-256 over the
/// reference parameters' names and bytes plus the collation settings that change the tokens.
/// </summary>
public sealed class ReferenceCache
{
    public const string FileName = "ref_logps.json";

    private readonly Dictionary<string, (double Chosen, double Rejected)> _entries;

    private ReferenceCache(string fingerprint, Dictionary<string, (double, double)> entries)
    {
        Fingerprint = fingerprint;
        _entries = entries;
    }

    public string Fingerprint { get; }

    public int Count => _entries.Count;

    public (double Chosen, double Rejected) this[string id] =>
        _entries.TryGetValue(id, out var e) ? e : throw new KeyNotFoundException($"no reference log-probs for example '{id}'");

    public bool Contains(string id) => _entries.ContainsKey(id);

    public void Set(string id, double chosen, double rejected) => _entries[id] = (chosen, rejected);

    /// <summary>SHA-256 of every parameter (name, shape, float bytes in order) and the collation settings.</summary>
    public static string ComputeFingerprint(Qwen25VLModel model, CollatorOptions collation)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var (name, tensor) in model.Parameters.All)
        {
            sha.AppendData(Encoding.UTF8.GetBytes($"{name}{tensor.Shape}"));
            var values = tensor.ToFloatArray();
            var bytes = new byte[values.Length * sizeof(float)];
            Buffer.BlockCopy(values, 0, bytes, 0, bytes.Length);
            sha.AppendData(bytes);
        }
        sha.AppendData(Encoding.UTF8.GetBytes($"max_caption_tokens={collation.MaxCaptionTokens};system={collation.SystemPrompt}"));
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    /// <summary>Loads the cache file when its fingerprint matches, computes what is missing, and saves it back.</summary>
    public static ReferenceCache LoadOrCompute(string runDirectory, Qwen25VLModel model, ITrainableParameters trainables,
        PreferenceCollator collator, IReadOnlyList<PreferenceExample> examples, int batchSize)
    {
        string fingerprint;
        ReferenceCache cache;
        using (trainables.UseReference())
        {
            fingerprint = ComputeFingerprint(model, collator.Options);
            cache = Load(Path.Combine(runDirectory, FileName), fingerprint) ?? new ReferenceCache(fingerprint, new(StringComparer.Ordinal));
            var missing = examples.Where(e => !cache.Contains(e.Id)).ToList();
            foreach (var chunk in missing.Chunk(Math.Max(1, batchSize)))
            {
                var batch = collator.Collate(chunk, includeRejected: true);
                var (sums, _) = BatchScorer.ScoreValues(model, batch);
                for (var i = 0; i < chunk.Length; i++) cache.Set(chunk[i].Id, sums[i], sums[chunk.Length + i]);
            }
            if (missing.Count > 0) cache.Save(runDirectory);
        }
        return cache;
    }

    public static ReferenceCache? Load(string path, string fingerprint)
    {
        if (!File.Exists(path)) return null;
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        if (doc.RootElement.GetProperty("fingerprint").GetString() != fingerprint) return null;
        var entries = new Dictionary<string, (double, double)>(StringComparer.Ordinal);
        foreach (var entry in doc.RootElement.GetProperty("examples").EnumerateObject())
            entries[entry.Name] = (entry.Value.GetProperty("chosen").GetDouble(), entry.Value.GetProperty("rejected").GetDouble());
        return new ReferenceCache(fingerprint, entries);
    }

    public void Save(string runDirectory)
    {
        var examples = _entries.OrderBy(e => e.Key, StringComparer.Ordinal)
            .ToDictionary(e => e.Key, e => new Dictionary<string, double> { ["chosen"] = e.Value.Chosen, ["rejected"] = e.Value.Rejected });
        var json = JsonSerializer.Serialize(new Dictionary<string, object> { ["fingerprint"] = Fingerprint, ["examples"] = examples }, new JsonSerializerOptions { WriteIndented = true });
        AtomicFile.WriteAllText(Path.Combine(runDirectory, FileName), json);
    }
}
