using StyleAlign.Engine.IO;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using StyleAlign.Engine.Core;

namespace StyleAlign.Trainers.Training;

/// <summary>
/// Checkpoints <c>checkpoint-{step}/</c> holding the trainable tensors, <c>optimizer.safetensors</c> (AdamW moments
/// and step counts) and <c>trainer_state.json</c>. Each is written into a temporary sibling folder that is renamed
/// into place, so an interrupted write leaves the previous checkpoints untouched.
/// </summary>
public static class CheckpointStore
{
    public const string StateFileName = "trainer_state.json";
    public const string OptimizerFileName = "optimizer.safetensors";
    private const string Prefix = "checkpoint-";

    /// <summary>Called after the temporary folder is complete and before it is renamed (tests simulate a crash here).</summary>
    internal static Action<string>? AfterTemporaryWrite { get; set; }

    public static string Save(string runDirectory, string name, ITrainableParameters trainables, IReadOnlyDictionary<string, Tensor> optimizerState, JsonObject state)
    {
        var final = Path.Combine(runDirectory, name);
        var temporary = Path.Combine(runDirectory, $".{name}.tmp-{Guid.NewGuid():N}");
        Directory.CreateDirectory(temporary);
        try
        {
            trainables.Save(temporary);
            TensorFiles.Write(Path.Combine(temporary, OptimizerFileName), optimizerState.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => (kv.Key, kv.Value)));
            File.WriteAllText(Path.Combine(temporary, StateFileName), state.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
            AfterTemporaryWrite?.Invoke(temporary);
            if (Directory.Exists(final))
            {
                var old = Path.Combine(runDirectory, $".{name}.old-{Guid.NewGuid():N}");
                Directory.Move(final, old);
                Directory.Move(temporary, final);
                Directory.Delete(old, recursive: true);
            }
            else
            {
                Directory.Move(temporary, final);
            }
        }
        finally
        {
            if (Directory.Exists(temporary)) Directory.Delete(temporary, recursive: true);
        }
        return final;
    }

    public static string StepName(int step) => Prefix + step.ToString(CultureInfo.InvariantCulture);

    /// <summary>The complete checkpoint with the highest step, or null.</summary>
    public static string? Latest(string runDirectory)
    {
        if (!Directory.Exists(runDirectory)) return null;
        return Directory.EnumerateDirectories(runDirectory, Prefix + "*")
            .Select(d => (Dir: d, Ok: int.TryParse(Path.GetFileName(d)[Prefix.Length..], NumberStyles.None, CultureInfo.InvariantCulture, out var step), Step: step))
            .Where(c => c.Ok && File.Exists(Path.Combine(c.Dir, StateFileName)))
            .OrderByDescending(c => c.Step)
            .Select(c => c.Dir)
            .FirstOrDefault();
    }

    public static JsonObject ReadState(string checkpoint) =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(checkpoint, StateFileName)))?.AsObject()
        ?? throw new InvalidDataException($"'{Path.Combine(checkpoint, StateFileName)}' is not a JSON object");
}
