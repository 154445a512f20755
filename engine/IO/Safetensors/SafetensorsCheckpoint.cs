using System.Text.Json;

namespace StyleAlign.Engine.IO;

/// <summary>
/// A model checkpoint as one read API over one or many safetensors files: a single file, a folder with
/// <c>model.safetensors</c>, a folder with <c>model.safetensors.index.json</c> and its shards, or a folder whose
/// only safetensors file is the model.
/// </summary>
public sealed class SafetensorsCheckpoint : ISafetensorsSource
{
    private readonly List<SafetensorsFile> _files;
    private readonly Dictionary<string, SafetensorsFile> _owner;
    private readonly Dictionary<string, SafetensorsEntry> _entries;
    private readonly Dictionary<string, string> _metadata;

    /// <summary>The file or folder the checkpoint was opened from.</summary>
    public string Path { get; }

    public IReadOnlyList<SafetensorsFile> Files => _files;

    public IReadOnlyDictionary<string, SafetensorsEntry> Entries => _entries;

    public IReadOnlyDictionary<string, string> Metadata => _metadata;

    private SafetensorsCheckpoint(string path, List<SafetensorsFile> files, Dictionary<string, SafetensorsFile> owner,
        Dictionary<string, string> metadata)
    {
        Path = path;
        _files = files;
        _owner = owner;
        _entries = owner.ToDictionary(pair => pair.Key, pair => pair.Value.Entries[pair.Key], StringComparer.Ordinal);
        _metadata = metadata;
    }

    /// <param name="allowShardsOutsideFolder">let a shard index name files outside the checkpoint folder (by default
    /// every shard path must be a relative path that stays inside it); null: <see cref="InputPaths.OutsideAllowed"/></param>
    public static SafetensorsCheckpoint Open(string path, bool? allowShardsOutsideFolder = null)
    {
        string fullPath = WeightsPath.RequireExisting(path);
        if (!Directory.Exists(fullPath)) return FromFiles(fullPath, [fullPath], indexMetadata: null, weightMap: null);

        string indexPath = System.IO.Path.Combine(fullPath, SafetensorsWriter.IndexFileName);
        if (File.Exists(indexPath)) return FromIndex(fullPath, indexPath, allowShardsOutsideFolder);

        string single = System.IO.Path.Combine(fullPath, "model.safetensors");
        if (File.Exists(single)) return FromFiles(fullPath, [single], indexMetadata: null, weightMap: null);

        string[] candidates = Directory.GetFiles(fullPath, "*.safetensors");
        if (candidates.Length == 1) return FromFiles(fullPath, [candidates[0]], indexMetadata: null, weightMap: null);
        throw new InputFileException(fullPath, candidates.Length == 0
            ? "folder holds no *.safetensors file"
            : $"folder holds {candidates.Length} safetensors files ({string.Join(", ", candidates.Select(System.IO.Path.GetFileName).Order())}) but no {SafetensorsWriter.IndexFileName} saying which form the model");
    }

    private static SafetensorsCheckpoint FromIndex(string folder, string indexPath, bool? allowShardsOutsideFolder)
    {
        var weightMap = new Dictionary<string, string>(StringComparer.Ordinal);
        var indexMetadata = new Dictionary<string, string>(StringComparer.Ordinal);
        byte[] bytes = InputFiles.ReadAllBytes(indexPath, InputFiles.MaxConfigBytes, "shard index");
        using (JsonDocument document = InputFiles.ParseJson(bytes, indexPath, (message, inner) => new SafetensorsFormatException(message, inner)))
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object
                || !document.RootElement.TryGetProperty("weight_map", out JsonElement map) || map.ValueKind != JsonValueKind.Object)
                throw new SafetensorsFormatException($"{indexPath}: missing object 'weight_map' (tensor name → shard file)");
            foreach (JsonProperty item in map.EnumerateObject())
            {
                string name = Config.ConfigJson.TryGetName(item)
                    ?? throw new SafetensorsFormatException($"{indexPath}: a 'weight_map' key is not valid Unicode");
                string shard = Config.ConfigJson.TryGetString(item.Value) is { Length: > 0 } file
                    ? file
                    : throw new SafetensorsFormatException($"{indexPath}: 'weight_map.{name}' must name a shard file, found {Config.ConfigJson.Describe(item.Value)}");
                if (!weightMap.TryAdd(name, shard))
                    throw new SafetensorsFormatException($"{indexPath}: 'weight_map' names tensor '{name}' twice");
            }
            if (document.RootElement.TryGetProperty("metadata", out JsonElement metadata) && metadata.ValueKind == JsonValueKind.Object)
                foreach (JsonProperty item in metadata.EnumerateObject())
                    if (Config.ConfigJson.TryGetName(item) is { } key)
                        indexMetadata[key] = Config.ConfigJson.TryGetString(item.Value) ?? item.Value.GetRawText();
        }

        var shardPaths = new List<string>();
        foreach (string shard in weightMap.Values.Distinct().Order(StringComparer.Ordinal))
        {
            string example = weightMap.First(pair => pair.Value == shard).Key;
            string shardPath = InputPaths.Resolve(folder, shard, allowShardsOutsideFolder)
                ?? throw new SafetensorsFormatException(
                    $"{indexPath}: shard '{shard}' (holding e.g. '{example}') lies outside the checkpoint folder; only files inside it are read");
            if (!File.Exists(shardPath))
                throw new InputFileException(shardPath, $"no such file (shard named by {indexPath} for e.g. '{example}')");
            shardPaths.Add(shardPath);
        }
        return FromFiles(folder, shardPaths, indexMetadata, weightMap);
    }

    private static SafetensorsCheckpoint FromFiles(string path, List<string> filePaths,
        Dictionary<string, string>? indexMetadata, Dictionary<string, string>? weightMap)
    {
        var files = new List<SafetensorsFile>();
        try
        {
            var owner = new Dictionary<string, SafetensorsFile>(StringComparer.Ordinal);
            var metadata = new Dictionary<string, string>(indexMetadata ?? [], StringComparer.Ordinal);
            foreach (string filePath in filePaths)
            {
                var file = SafetensorsFile.Open(filePath);
                files.Add(file);
                foreach (var pair in file.Metadata) metadata.TryAdd(pair.Key, pair.Value);
                foreach (string name in file.Entries.Keys)
                {
                    if (owner.TryGetValue(name, out SafetensorsFile? first))
                        throw new SafetensorsFormatException($"{path}: tensor '{name}' is stored in both {first.Path} and {file.Path}");
                    owner.Add(name, file);
                }
            }

            if (weightMap is not null)
            {
                foreach (var (name, shard) in weightMap)
                {
                    string shardPath = System.IO.Path.GetFullPath(System.IO.Path.Combine(path, shard));
                    if (!owner.TryGetValue(name, out SafetensorsFile? holder) || holder.Path != shardPath)
                        throw new SafetensorsFormatException($"{path}: the index maps tensor '{name}' to '{shard}', which does not contain it");
                }
                // Only the tensors the index lists belong to the model, as with transformers.
                foreach (string name in owner.Keys.Where(name => !weightMap.ContainsKey(name)).ToList()) owner.Remove(name);
            }

            return new SafetensorsCheckpoint(path, files, owner, metadata);
        }
        catch
        {
            foreach (var file in files) file.Dispose();
            throw;
        }
    }

    public bool Contains(string name) => _owner.ContainsKey(name);

    /// <summary>The shard that stores a tensor.</summary>
    public SafetensorsFile FileOf(string name) =>
        _owner.TryGetValue(name, out SafetensorsFile? file)
            ? file
            : throw new KeyNotFoundException($"{Path}: no tensor named '{name}'");

    public ReadOnlySpan<byte> GetBytes(string name) => FileOf(name).GetBytes(name);

    public nint GetDataPointer(string name) => FileOf(name).GetDataPointer(name);

    public Core.Tensor MapTensor(string name) => FileOf(name).MapTensor(name);

    public float[] ReadAsFloat32(string name) => FileOf(name).ReadAsFloat32(name);

    public double[] ReadAsFloat64(string name) => FileOf(name).ReadAsFloat64(name);

    public long[] ReadAsInt64(string name) => FileOf(name).ReadAsInt64(name);

    public void Dispose()
    {
        foreach (var file in _files) file.Dispose();
    }
}
