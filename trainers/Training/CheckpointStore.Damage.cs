using System.Text.Json;
using StyleAlign.Engine.IO;

namespace StyleAlign.Trainers.Training;

public static partial class CheckpointStore
{
    /// <summary>
    /// Why a checkpoint cannot be resumed from, or null when it can: its state file must be a JSON object holding every
    /// value a resume reads, of the right kind, for the folder's own step, and every tensor file must be complete
    /// (its header and data tiling the file exactly).
    /// </summary>
    internal static string? Damage(string folder, int step)
    {
        var statePath = Path.Combine(folder, StateFileName);
        if (!File.Exists(statePath)) return $"it has no {StateFileName}";
        try
        {
            using var document = InputFiles.ParseJson(InputFiles.ReadAllBytes(statePath, InputFiles.MaxConfigBytes, "trainer state"), statePath,
                (message, inner) => new InvalidInputException(message, inner));
            if (StateProblem(document.RootElement, step) is { } problem) return $"{StateFileName}: {problem}";
            if (!File.Exists(Path.Combine(folder, OptimizerFileName))) return $"it has no {OptimizerFileName}";
            foreach (var tensors in Directory.EnumerateFiles(folder, "*.safetensors"))
                using (SafetensorsFile.Open(tensors)) { }
            return null;
        }
        catch (InvalidInputException e)
        {
            return e.Message;
        }
    }

    /// <summary>The first value of a state file a resume could not read, or null.</summary>
    private static string? StateProblem(JsonElement state, int step)
    {
        if (state.ValueKind != JsonValueKind.Object) return "not a JSON object";
        if (!IsInt(state, "step") || state.GetProperty("step").GetInt32() != step) return $"'step' is not {step}, the step the folder is named for";
        if (!state.TryGetProperty("data_order", out var order) || order.ValueKind != JsonValueKind.Object) return "'data_order' is missing";
        if (!order.TryGetProperty("seed", out var seed) || !seed.TryGetUInt64(out _)) return "'data_order.seed' is missing";
        foreach (var key in new[] { "examples", "batch_size", "gradient_accumulation" })
            if (!IsInt(order, key)) return $"'data_order.{key}' is missing";
        if (!state.TryGetProperty("objective_state", out var objective) || objective.ValueKind != JsonValueKind.Object
            || objective.EnumerateObject().Any(p => p.Value.ValueKind is not (JsonValueKind.Number or JsonValueKind.Null)))
            return "'objective_state' is not an object of numbers";
        foreach (var key in new[] { "final_loss", "eval_wr_logp_before", "best_margin" })
            if (state.TryGetProperty(key, out var value) && value.ValueKind is not (JsonValueKind.Number or JsonValueKind.Null)) return $"'{key}' is not a number";
        if (!IsInt(state, "best_step")) return "'best_step' is missing";
        if (state.TryGetProperty("baseline", out var baseline) && baseline.ValueKind != JsonValueKind.Null
            && !(baseline.ValueKind == JsonValueKind.Object && IsNumberArray(baseline, "chosen") && IsNumberArray(baseline, "rejected")))
            return "'baseline' is not an object of chosen and rejected numbers";
        if (!state.TryGetProperty("probes", out var probes) || probes.ValueKind != JsonValueKind.Array
            || probes.EnumerateArray().Any(p => p.ValueKind != JsonValueKind.Array || p.GetArrayLength() != 2 || p.EnumerateArray().Any(v => v.ValueKind != JsonValueKind.Number)))
            return "'probes' is not a list of number pairs";
        if (state.TryGetProperty("negatives", out var negatives) && negatives.ValueKind is not (JsonValueKind.Object or JsonValueKind.Null))
            return "'negatives' is not an object";
        if (state.TryGetProperty(MetricsRecordsKey, out var records) && !IsInt(state, MetricsRecordsKey) && records.ValueKind != JsonValueKind.Null)
            return $"'{MetricsRecordsKey}' is not an integer";
        return null;
    }

    /// <summary>The number of metrics records written when the checkpoint was saved (absent in older checkpoints).</summary>
    public const string MetricsRecordsKey = "metrics_records";

    private static bool IsInt(JsonElement parent, string key) =>
        parent.TryGetProperty(key, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out _);

    private static bool IsNumberArray(JsonElement parent, string key) =>
        parent.TryGetProperty(key, out var value) && value.ValueKind == JsonValueKind.Array && value.EnumerateArray().All(v => v.ValueKind == JsonValueKind.Number);
}
