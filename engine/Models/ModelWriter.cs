using StyleAlign.Engine.Core;
using StyleAlign.Engine.IO;
using StyleAlign.Engine.Nn;

namespace StyleAlign.Engine.Models;

/// <summary>One tensor a network asks its parameter source for.</summary>
public sealed record ParameterRequest(string Name, Shape Shape, ParameterInit Init);

/// <summary>What <see cref="ModelWriter.WriteRandom"/> wrote.</summary>
public sealed record RandomCheckpointSummary(int Tensors, long Parameters, IReadOnlyList<string> Shards);

/// <summary>Writes model weights as safetensors: a built model's parameters, or a seeded random checkpoint.</summary>
public static class ModelWriter
{
    /// <summary>A model's parameters as one F32 safetensors file under their checkpoint names.</summary>
    public static void WriteParameters(string path, ParameterSet parameters, IDictionary<string, string>? metadata = null) =>
        TensorFiles.Write(path, parameters.All.Select(p => (p.Key, p.Value)), metadata);

    /// <summary>Every tensor <paramref name="build"/> asks its source for, in order, without allocating any of them.</summary>
    public static IReadOnlyList<ParameterRequest> Requests(Action<IParameterSource> build)
    {
        var recorder = new RequestRecorder();
        build(recorder);
        return recorder.Requests;
    }

    /// <summary>
    /// Sharded safetensors (with the index) holding every tensor <paramref name="build"/> asks for, filled as a
    /// <see cref="RandomParameterSource"/> with this seed and std fills them, stored as F32 or BF16. Tensors are made
    /// one at a time and only one shard is held, so a real-size checkpoint needs memory for one tensor and one shard.
    /// </summary>
    public static RandomCheckpointSummary WriteRandom(string folder, Action<IParameterSource> build, ulong seed, DType storedType, long maxShardBytes, double std = 0.02)
    {
        if (storedType is not (DType.F32 or DType.BF16)) throw new ArgumentException($"random checkpoints are stored as F32 or BF16, not {storedType}", nameof(storedType));
        var requests = Requests(build);
        var random = new RandomParameterSource(seed, std);
        var tensors = requests.Select(r =>
        {
            var dims = r.Shape.Select(d => (long)d).ToArray();
            var values = random.Values(r.Shape.NumElements, r.Init);
            return storedType == DType.BF16
                ? SafetensorsWriter.BFloat16(r.Name, dims, Array.ConvertAll(values, BFloat16Bits.FromSingle))
                : SafetensorsWriter.Float32(r.Name, dims, values);
        });
        var shards = SafetensorsWriter.WriteSharded(folder, tensors, maxShardBytes);
        return new RandomCheckpointSummary(requests.Count, requests.Sum(r => r.Shape.NumElements), shards);
    }

    /// <summary>Answers every request with a one-element placeholder (views of it give the asked shape).</summary>
    private sealed class RequestRecorder : IParameterSource
    {
        public List<ParameterRequest> Requests { get; } = [];

        public Tensor Get(string name, Shape shape, ParameterInit init)
        {
            Requests.Add(new ParameterRequest(name, shape, init));
            return Tensor.Zeros(new Shape(1)).Expand(shape);
        }
    }
}
