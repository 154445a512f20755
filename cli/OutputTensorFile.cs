using StyleAlign.Engine.Core;
using StyleAlign.Engine.IO;

namespace StyleAlign.Cli;

/// <summary>Writes named tensors to a safetensors file: floats as F32, integers as I64.</summary>
public static class OutputTensorFile
{
    public static void Write(string path, IReadOnlyDictionary<string, Tensor> tensors)
    {
        var entries = tensors.Select(kv =>
        {
            var shape = kv.Value.Shape.Select(d => (long)d).ToArray();
            return kv.Value.DType.IsFloat()
                ? SafetensorsWriter.Float32(kv.Key, shape, kv.Value.ToFloatArray())
                : SafetensorsWriter.Int64(kv.Key, shape, kv.Value.ToLongArray());
        });
        SafetensorsWriter.Write(path, entries);
    }
}
