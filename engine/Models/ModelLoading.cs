using StyleAlign.Engine.Core;
using StyleAlign.Engine.IO;
using StyleAlign.Engine.Nn;

namespace StyleAlign.Engine.Models;

/// <summary>What a checkpoint lacks, holds in excess or holds mis-shaped for the model its config describes.</summary>
public sealed record CheckpointMatch(
    IReadOnlyList<string> Missing, IReadOnlyList<string> Unexpected, IReadOnlyList<string> Mismatched, int TensorCount, long ParameterCount)
{
    public bool IsExact => Missing.Count == 0 && Unexpected.Count == 0 && Mismatched.Count == 0;
}

/// <summary>
/// Builds models so that nothing of a parameter's size is allocated before the config's shapes are known to fit in
/// memory and, for a checkpoint, to match its header: the model is first built over shape-only placeholders.
/// </summary>
public static class ModelLoading
{
    /// <summary>Names, shapes and dtypes of the checkpoint against the model, from the header alone.</summary>
    public static CheckpointMatch Check<TModel>(ISafetensorsSource checkpoint, string description, Func<IParameterSource, TModel> build,
        Func<TModel, ParameterSet> parameters, Func<TModel, string, bool> ignorable, Func<string, string>? normalize = null)
    {
        var source = new CheckpointParameterSource(checkpoint, description, normalize, headerOnly: true);
        var planned = build(source);
        var (missing, unexpected, mismatched) = source.Report(name => ignorable(planned, name));
        return new CheckpointMatch(missing, unexpected, mismatched, parameters(planned).All.Count, parameters(planned).Count);
    }

    /// <summary>
    /// Checks the checkpoint's header against the model and the memory the weights will take against the memory
    /// available, then loads them; any problem is one <see cref="InvalidInputException"/> raised before a weight is
    /// read. <paramref name="weights"/> (null: every tensor read into f32 memory) says which are trained and how frozen
    /// ones are held; <paramref name="bf16Matrices"/> says the model may take frozen matrices as bf16.
    /// </summary>
    public static TModel Load<TModel>(ISafetensorsSource checkpoint, string description, Func<IParameterSource, TModel> build,
        Func<TModel, ParameterSet> parameters, Func<TModel, string, bool> ignorable, Func<string, string>? normalize = null, Device? device = null,
        WeightOptions? weights = null, bool bf16Matrices = false, DType dtype = DType.F32)
    {
        var check = new CheckpointParameterSource(checkpoint, description, normalize, device, headerOnly: true, weights, bf16Matrices, dtype);
        var planned = build(check);
        check.Finish(name => ignorable(planned, name));
        var count = parameters(planned).Count;
        MemoryBudget.EnsureFits(check.MaterializedBytes, description, $"{count:N0} parameters, {check.MaterializedBytes:N0} bytes of them held in memory");
        var source = new CheckpointParameterSource(checkpoint, description, normalize, device, headerOnly: false, weights, bf16Matrices, dtype);
        var model = build(source);
        source.Finish(name => ignorable(model, name));
        return model;
    }
}
