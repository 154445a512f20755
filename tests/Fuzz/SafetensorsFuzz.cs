using System.Text;
using System.Text.Json.Nodes;
using StyleAlign.Engine.IO;
using StyleAlign.Engine.Models.Clip;
using StyleAlign.Engine.Models.Qwen25VL;

namespace StyleAlign.Tests.Fuzz;

/// <summary>
/// Mutated checkpoints of the tiny CLIP and Qwen2.5-VL models (single files and a sharded CLIP), loaded as the
/// verbs load them: the file opened and every tensor read, then the model built from the folder. Each mutation
/// class carries its oracle: structural damage must be refused, re-encodings that keep the data must load.
/// </summary>
internal sealed class SafetensorsFuzz : IFuzzTarget
{
    private readonly FuzzWorkspace _workspace;
    private readonly (string Name, string Folder, byte[] File, bool IsQwen)[] _seeds;
    private readonly string _shardedSeed;

    public SafetensorsFuzz(FuzzWorkspace workspace)
    {
        _workspace = workspace;
        _seeds =
        [
            Seed("clip", "clip_tiny", isQwen: false),
            Seed("qwen", "qwen25vl_tiny", isQwen: true),
        ];
        _shardedSeed = Path.Combine(workspace.Seeds, "clip-sharded");
        Directory.CreateDirectory(_shardedSeed);
        File.Copy(FuzzWorkspace.Fixture("clip_tiny", "config.json"), Path.Combine(_shardedSeed, "config.json"));
        using var clip = SafetensorsFile.Open(FuzzWorkspace.Fixture("clip_tiny", "model.safetensors"));
        var tensors = clip.Entries.Values.OrderBy(e => e.Name, StringComparer.Ordinal)
            .Select(e => (e.Name, e.DType, e.Shape, (ReadOnlyMemory<byte>)clip.GetBytes(e.Name).ToArray())).ToList();
        SafetensorsWriter.WriteSharded(_shardedSeed, tensors, maxShardBytes: 100_000);
    }

    public string Kind => "safetensors";

    private (string, string, byte[], bool) Seed(string name, string fixture, bool isQwen)
    {
        string folder = Path.Combine(_workspace.Seeds, name);
        Directory.CreateDirectory(folder);
        File.Copy(FuzzWorkspace.Fixture(fixture, "config.json"), Path.Combine(folder, "config.json"));
        return (name, folder, File.ReadAllBytes(FuzzWorkspace.Fixture(fixture, "model.safetensors")), isQwen);
    }

    public FuzzCase Generate(Random rng, string folder)
    {
        if (rng.Next(8) == 0) return Sharded(rng, folder);
        // The Qwen model takes longer to build; a quarter of the cases use it.
        var seed = rng.Next(4) == 0 ? _seeds[1] : _seeds[0];
        File.Copy(Path.Combine(seed.Folder, "config.json"), Path.Combine(folder, "config.json"));
        string path = Path.Combine(folder, "model.safetensors");
        var image = SafetensorsImage.Parse(seed.File);
        var (mutation, expect, bytes, mustName) = MutateFile(rng, seed.File, image, path);
        if (bytes is not null) File.WriteAllBytes(path, bytes);
        string[] names = mustName is null ? [folder] : [folder, mustName];
        return new FuzzCase($"{seed.Name}: {mutation}", expect, () => LoadAll(path, folder, seed.IsQwen), names,
            expect == Expect.Either ? () => CheckTiling(path) : null);
    }

    /// <summary>What the verbs do with a checkpoint: inspect reads the header, forward reads every tensor and builds the
    /// model, a resumed run reads a file of named tensors.</summary>
    private static void LoadAll(string path, string folder, bool isQwen)
    {
        foreach (var tensor in TensorFiles.ReadAll(path).Values) tensor.Dispose();
        using (var file = SafetensorsFile.Open(path))
        {
            foreach (var entry in file.Entries.Values)
            {
                if (entry.DType.IsFloatingPoint()) file.ReadAsFloat32(entry.Name);
                else file.ReadAsInt64(entry.Name);
            }
        }
        if (isQwen)
        {
            Qwen25VLModel.Inspect(folder);
            Qwen25VLModel.Load(folder);
        }
        else ClipModel.Load(folder);
    }

    private (string Mutation, Expect Expect, byte[]? Bytes, string? MustName) MutateFile(Random rng, byte[] original, SafetensorsImage image, string path)
    {
        var tensors = image.Tensors;
        string tensor = rng.Pick(tensors);
        int headerEnd = 8 + (int)BitConverter.ToUInt64(original, 0);
        switch (rng.Next(26))
        {
            case 0:
                int delta = rng.Pick(new[] { -1, -2, -7, 1, 3, 8, rng.Next(-64, 65) is var d && d != 0 ? d : 5 });
                return ($"header length {delta:+0;-0}", Expect.Refuse, image.Build(lengthDelta: delta), null);
            case 1:
                var huge = rng.Pick(new ulong[] { 100_000_001, ulong.MaxValue, (ulong)original.Length, 1UL << 40 });
                var withHuge = (byte[])original.Clone();
                BitConverter.TryWriteBytes(withHuge.AsSpan(0, 8), huge);
                return ($"header length {huge}", Expect.Refuse, withHuge, null);
            case 2:
                return ("data truncated", Expect.Refuse, original[..^rng.Next(1, 100)], null);
            case 3:
                return ("bytes appended", Expect.Refuse, [.. original, .. new byte[rng.Next(1, 64)]], null);
            case 4:
            {
                var (begin, end) = image.Offsets(tensor);
                long shift = rng.Pick(new long[] { 1, -1, 4, -4, 2 * (end - begin), -(begin + 1), image.Data.Length });
                image.Entry(tensor)["data_offsets"] = new JsonArray(begin + shift, end + shift);
                return ($"offsets of one tensor shifted by {shift}", Expect.Refuse, image.Build(), null);
            }
            case 5:
            {
                var (begin, end) = image.Offsets(tensor);
                long change = rng.Pick(new long[] { 1, -1, 4, -4, 1000 });
                image.Entry(tensor)["data_offsets"] = new JsonArray(begin, end + change);
                return ($"end offset moved by {change}", Expect.Refuse, image.Build(), null);
            }
            case 6:
            {
                var sameSize = tensors.Where(t => t != tensor && image.TensorBytes(t).Length == image.TensorBytes(tensor).Length).ToList();
                if (sameSize.Count == 0) goto case 23;
                string other = rng.Pick(sameSize);
                var (a, b) = (image.Offsets(tensor), image.Offsets(other));
                image.Entry(tensor)["data_offsets"] = new JsonArray(b.Begin, b.End);
                image.Entry(other)["data_offsets"] = new JsonArray(a.Begin, a.End);
                return ("two same-size tensors' data swapped", Expect.Accept, image.Build(), null);
            }
            case 7:
                image.Entry(tensor)["dtype"] = rng.Pick(new[] { "I32", "U32" });
                return ("float tensor relabelled as a 4-byte integer", Expect.Refuse, image.Build(), tensor);
            case 8:
                image.Entry(tensor)["dtype"] = rng.Pick(new[] { "F16", "BF16", "F64", "I64", "U8", "BOOL", "I16" });
                return ("dtype of another size, data unchanged", Expect.Refuse, image.Build(), null);
            case 9:
                image.Entry(tensor)["dtype"] = Mutate.Raw(rng.Pick(new[] { "\"F8_E4M3\"", "\"Q4_0\"", "\"f32\"", "\"\"", "123", "null", "[\"F32\"]" }));
                return ("unknown dtype", Expect.Refuse, image.Build(), null);
            case 10:
                return ConvertFloats(rng, image);
            case 11:
            {
                long[] shape = image.Shape(tensor);
                long[] reversed = shape.Reverse().ToArray();
                image.Entry(tensor)["shape"] = new JsonArray(reversed.Select(d => (JsonNode)d).ToArray());
                bool same = shape.SequenceEqual(reversed);
                return ("shape dims reversed", same ? Expect.Accept : Expect.Refuse, image.Build(), same ? null : tensor);
            }
            case 12:
            {
                long[] shape = image.Shape(tensor);
                if (shape.Length == 0) goto case 13;
                int axis = rng.Next(shape.Length);
                shape[axis] = rng.Pick(new[] { shape[axis] * 2, shape[axis] + 1, 0 });
                image.Entry(tensor)["shape"] = new JsonArray(shape.Select(d => (JsonNode)d).ToArray());
                return ("shape element count changed", Expect.Refuse, image.Build(), null);
            }
            case 13:
                image.Entry(tensor)["shape"] = Mutate.Raw(rng.Pick(new[] { "[-1]", "[1.5]", "[\"4\"]", "null", "[9223372036854775807, 4]", "[[2]]", "4", "[18446744073709551616]" }));
                return ("shape of the wrong kind", Expect.Refuse, image.Build(), null);
            case 14:
                image.Entry(tensor)["data_offsets"] = Mutate.Raw(rng.Pick(new[] { "[\"0\", 4]", "[0, 1.5]", "[0]", "[0, 4, 8]", "null", "[-1, 3]", "\"0-4\"", "[0, 99999999999999999999]" }));
                return ("data_offsets of the wrong kind", Expect.Refuse, image.Build(), null);
            case 15:
                image.Header["__metadata__"] = Mutate.Raw(rng.Pick(new[] { "{\"format\": 1}", "[\"pt\"]", "\"pt\"", "{\"a\": {\"b\": \"c\"}}", "{\"a\": null}" }));
                return ("__metadata__ not a map of strings", Expect.Refuse, image.Build(), null);
            case 16:
                image.Header["__metadata__"] = rng.Next(2) == 0 ? null : new JsonObject { ["format"] = "pt", ["note"] = "é ✓" };
                return ("__metadata__ null or extra strings", Expect.Accept, image.Build(), null);
            case 17:
            {
                string text = Mutate.Write(image.Header, indented: false);
                string duplicate = $"\"{tensor}\":{Mutate.Write(image.Entry(tensor), indented: false)}";
                return ("tensor named twice in the header", Expect.Refuse, image.Build(headerText: text.Insert(1, duplicate + ",")), null);
            }
            case 18:
            {
                var kept = tensors.Where(t => t != tensor).Select(t => (t, image.TensorBytes(t))).ToList();
                image.Header.Remove(tensor);
                image.Relayout(kept);
                return ("one tensor removed with its data", Expect.Refuse, image.Build(), null);
            }
            case 19:
                return AddTensor(rng, image, tensors);
            case 20:
            {
                byte[] header = Encoding.UTF8.GetBytes(Mutate.Write(image.Header, indented: false));
                byte[] prefix = rng.Pick(new byte[][] { " "u8.ToArray(), "\n"u8.ToArray(), [0xEF, 0xBB, 0xBF], [0] });
                return ("header does not start with '{'", Expect.Refuse, image.Build(headerBytes: [.. prefix, .. header]), null);
            }
            case 21:
            {
                byte[] header = Encoding.UTF8.GetBytes(Mutate.Write(image.Header, indented: false));
                int at = Array.IndexOf(header, (byte)'"') + 1;
                return ("invalid UTF-8 in the header", Expect.Refuse, image.Build(headerBytes: Mutate.Insert(header, at, [0xFF, 0xC0])), null);
            }
            case 22:
            {
                byte[] header = Encoding.UTF8.GetBytes(Mutate.Write(image.Header, indented: false));
                bool spaces = rng.Next(2) == 0;
                byte[] padding = Enumerable.Repeat(spaces ? (byte)' ' : rng.Pick(new byte[] { 0, (byte)'x', (byte)'}' }), rng.Next(1, 12)).ToArray();
                return (spaces ? "header padded with spaces" : "header padded with non-whitespace", spaces ? Expect.Accept : Expect.Refuse,
                    image.Build(headerBytes: [.. header, .. padding]), null);
            }
            case 23:
            {
                var shuffled = (JsonObject)Mutate.Shuffle(image.Header, rng);
                var reordered = new SafetensorsImage { Header = shuffled, Data = image.Data };
                var order = tensors.OrderBy(_ => rng.Next()).Select(t => (t, image.TensorBytes(t))).ToList();
                reordered.Relayout(order);
                return ("header keys and data order shuffled", Expect.Accept, reordered.Build(), null);
            }
            case 24:
                return ("random bytes of the header flipped", Expect.Either, Mutate.FlipBytes(original, rng, rng.Next(1, 4), 8, headerEnd), null);
            default:
                if (rng.Next(3) == 0)
                    return ("random data bytes flipped", Expect.Accept, Mutate.FlipBytes(original, rng, rng.Next(1, 16), headerEnd), null);
                if (rng.Next(2) == 0)
                    return ("file of fewer than 8 bytes", Expect.Refuse, original[..rng.Next(8)], null);
                return (FileKinds.Replace(path, rng, _workspace, 1 << 20), Expect.Refuse, null, null);
        }
    }

    /// <summary>Every float tensor re-encoded as BF16, F16 or F64 (values converted): a valid checkpoint.</summary>
    private static (string, Expect, byte[]?, string?) ConvertFloats(Random rng, SafetensorsImage image)
    {
        string dtype = rng.Pick(new[] { "BF16", "F16", "F64" });
        var converted = new List<(string, byte[])>();
        foreach (string name in image.Tensors)
        {
            byte[] bytes = image.TensorBytes(name);
            if ((string?)image.Entry(name)["dtype"] == "F32")
            {
                float[] values = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(bytes).ToArray();
                bytes = dtype switch
                {
                    "BF16" => values.SelectMany(v => BitConverter.GetBytes((ushort)(BitConverter.SingleToUInt32Bits(v) >> 16))).ToArray(),
                    "F16" => values.SelectMany(v => BitConverter.GetBytes((Half)v)).ToArray(),
                    _ => values.SelectMany(v => BitConverter.GetBytes((double)v)).ToArray(),
                };
                image.Entry(name)["dtype"] = dtype;
            }
            converted.Add((name, bytes));
        }
        image.Relayout(converted);
        return ($"float tensors converted to {dtype}", Expect.Accept, image.Build(), null);
    }

    /// <summary>An extra tensor: unexpected for the model, except CLIP's legacy position_ids buffer, which it ignores.</summary>
    private static (string, Expect, byte[]?, string?) AddTensor(Random rng, SafetensorsImage image, List<string> tensors)
    {
        bool legacy = tensors.Any(t => t.StartsWith("text_model.", StringComparison.Ordinal)) && rng.Next(2) == 0;
        string name = legacy ? "text_model.embeddings.position_ids" : "extra.weight";
        byte[] bytes = legacy ? new byte[8 * 16] : new byte[4 * 6];
        image.Header[name] = new JsonObject { ["dtype"] = legacy ? "I64" : "F32", ["shape"] = legacy ? new JsonArray(1, 16) : new JsonArray(2, 3), ["data_offsets"] = new JsonArray(0, 0) };
        image.Relayout([.. tensors.Select(t => (t, image.TensorBytes(t))), (name, bytes)]);
        return (legacy ? "legacy position_ids buffer added" : "unexpected tensor added", legacy ? Expect.Accept : Expect.Refuse, image.Build(), null);
    }

    /// <summary>A sharded CLIP checkpoint whose index is mutated: shards must stay inside the folder and hold what it says.</summary>
    private FuzzCase Sharded(Random rng, string folder)
    {
        string model = Path.Combine(folder, "model");
        Directory.CreateDirectory(model);
        foreach (string file in Directory.GetFiles(_shardedSeed)) File.Copy(file, Path.Combine(model, Path.GetFileName(file)));
        string indexPath = Path.Combine(model, SafetensorsWriter.IndexFileName);
        var index = Mutate.ParseObject(File.ReadAllText(indexPath));
        var map = index["weight_map"]!.AsObject();
        string tensor = rng.Pick(map.Select(p => p.Key).ToList());
        string shard = (string)map[tensor]!;
        (string Mutation, Expect Expect) outcome;
        switch (rng.Next(8))
        {
            case 0:
                File.Copy(Path.Combine(model, shard), Path.Combine(folder, "outside.safetensors"));
                foreach (var (name, value) in map.ToList()) if ((string?)value == shard) map[name] = "../outside.safetensors";
                outcome = ("shard path leaves the folder", Expect.Refuse);
                break;
            case 1:
                foreach (var (name, value) in map.ToList()) if ((string?)value == shard) map[name] = Path.Combine(model, shard);
                outcome = ("shard path is absolute", Expect.Refuse);
                break;
            case 2:
                map[tensor] = "model-00009-of-00009.safetensors";
                outcome = ("index names a missing shard", Expect.Refuse);
                break;
            case 3:
                string other = map.Select(p => (string)p.Value!).First(s => s != shard);
                map[tensor] = other;
                outcome = ("index maps a tensor to the wrong shard", Expect.Refuse);
                break;
            case 4:
                map[tensor] = Mutate.Raw(rng.Pick(new[] { "1", "null", "[\"a\"]", "\"\"" }));
                outcome = ("weight_map value not a file name", Expect.Refuse);
                break;
            case 5:
                index["metadata"] = new JsonObject { ["total_size"] = 1, ["note"] = "x" };
                outcome = ("index metadata changed", Expect.Accept);
                break;
            case 6:
                File.WriteAllText(indexPath, File.ReadAllText(indexPath)[..rng.Next(1, 40)]);
                return new FuzzCase("index truncated", Expect.Refuse, () => ClipModel.Load(model), [folder]);
            default:
                return new FuzzCase(FileKinds.Replace(indexPath, rng, _workspace, InputFiles.MaxConfigBytes), Expect.Refuse, () => ClipModel.Load(model), [folder]);
        }
        File.WriteAllText(indexPath, Mutate.Write(index));
        return new FuzzCase($"sharded: {outcome.Mutation}", outcome.Expect, () => ClipModel.Load(model), [folder]);
    }

    /// <summary>The invariant an accepted file must satisfy, checked independently of the reader's own code.</summary>
    private static void CheckTiling(string path)
    {
        using var file = SafetensorsFile.Open(path);
        long dataLength = new FileInfo(path).Length - file.DataStart, end = 0;
        foreach (var entry in file.Entries.Values.OrderBy(e => e.Offset).ThenBy(e => e.Length))
        {
            if (entry.Offset != end) throw new InvariantBrokenException($"tensor '{entry.Name}' starts at {entry.Offset}, not {end}");
            if (entry.Length != entry.ElementCount * entry.DType.ElementSize())
                throw new InvariantBrokenException($"tensor '{entry.Name}' spans {entry.Length} bytes for {entry.ElementCount} elements");
            end += entry.Length;
        }
        if (end != dataLength) throw new InvariantBrokenException($"tensors cover {end} of {dataLength} data bytes");
    }
}
