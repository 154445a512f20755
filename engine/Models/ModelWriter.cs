using StyleAlign.Engine.IO;
using StyleAlign.Engine.Nn;

namespace StyleAlign.Engine.Models;

/// <summary>Writes a model's parameters as one F32 safetensors file under their checkpoint names.</summary>
public static class ModelWriter
{
    public static void WriteParameters(string path, ParameterSet parameters, IDictionary<string, string>? metadata = null) =>
        TensorFiles.Write(path, parameters.All.Select(p => (p.Key, p.Value)), metadata);
}
