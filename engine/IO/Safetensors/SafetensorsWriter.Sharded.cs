using System.Text.Json;

namespace StyleAlign.Engine.IO;

public static partial class SafetensorsWriter
{
    public const string IndexFileName = "model.safetensors.index.json";

    /// <summary>
    /// Writes <c>model-0000N-of-0000M.safetensors</c> shards of at most <paramref name="maxShardBytes"/> of tensor
    /// data each (a single larger tensor gets a shard of its own) and <c>model.safetensors.index.json</c>.
    /// Tensors are consumed in order and only one shard is held at a time, so a large checkpoint can be produced
    /// lazily. Returns the shard paths.
    /// </summary>
    public static IReadOnlyList<string> WriteSharded(
        string folder,
        IEnumerable<(string Name, SafetensorsDType DType, long[] Shape, ReadOnlyMemory<byte> Data)> tensors,
        long maxShardBytes,
        IDictionary<string, string>? metadata = null)
    {
        if (maxShardBytes <= 0) throw new ArgumentOutOfRangeException(nameof(maxShardBytes), maxShardBytes, "Shard size must be positive.");
        string fullFolder = Path.GetFullPath(folder);
        Directory.CreateDirectory(fullFolder);

        var pendingShards = new List<(string TemporaryPath, List<string> Names)>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var current = new List<(string Name, SafetensorsDType DType, long[] Shape, ReadOnlyMemory<byte> Data)>();
        long currentBytes = 0;
        long totalBytes = 0;
        string batchId = Guid.NewGuid().ToString("N");

        void FlushShard()
        {
            if (current.Count == 0) return;
            string temporary = Path.Combine(fullFolder, $".shard-{pendingShards.Count + 1:D5}.{batchId}.tmp");
            Write(temporary, current, metadata);
            pendingShards.Add((temporary, current.Select(t => t.Name).ToList()));
            current = [];
            currentBytes = 0;
        }

        try
        {
            foreach (var tensor in tensors)
            {
                if (!seen.Add(tensor.Name))
                    throw new ArgumentException($"{fullFolder}: tensor '{tensor.Name}' is given twice");
                if (currentBytes > 0 && currentBytes + tensor.Data.Length > maxShardBytes) FlushShard();
                current.Add(tensor);
                currentBytes += tensor.Data.Length;
                totalBytes += tensor.Data.Length;
            }
            FlushShard();

            var weightMap = new SortedDictionary<string, string>(StringComparer.Ordinal);
            var shardPaths = new List<string>();
            for (int i = 0; i < pendingShards.Count; i++)
            {
                string shardName = $"model-{i + 1:D5}-of-{pendingShards.Count:D5}.safetensors";
                string shardPath = Path.Combine(fullFolder, shardName);
                File.Move(pendingShards[i].TemporaryPath, shardPath, overwrite: true);
                shardPaths.Add(shardPath);
                foreach (string name in pendingShards[i].Names) weightMap[name] = shardName;
            }

            WriteIndex(Path.Combine(fullFolder, IndexFileName), totalBytes, weightMap);
            return shardPaths;
        }
        catch
        {
            foreach (var shard in pendingShards)
                if (File.Exists(shard.TemporaryPath)) File.Delete(shard.TemporaryPath);
            throw;
        }
    }

    private static void WriteIndex(string indexPath, long totalBytes, SortedDictionary<string, string> weightMap)
    {
        AtomicFile.Write(indexPath, stream =>
        {
            using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
            json.WriteStartObject();
            json.WriteStartObject("metadata");
            json.WriteNumber("total_size", totalBytes);
            json.WriteEndObject();
            json.WriteStartObject("weight_map");
            foreach (var pair in weightMap) json.WriteString(pair.Key, pair.Value);
            json.WriteEndObject();
            json.WriteEndObject();
        });
    }
}
