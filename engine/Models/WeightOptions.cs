namespace StyleAlign.Engine.Models;

/// <summary>
/// How a checkpoint's weights are held once loaded on the CPU (docs/models.md, "Numerics"). Weights that will be
/// trained are read into f32 memory of their own. Frozen ones are used where they lie in the memory-mapped file:
/// f32 tensors as they are, and — for models whose every weight of two or more dims feeds a matmul or an embedding
/// lookup — bf16 matrices too, widened to f32 only while a GEMM packs them (exact, so an f32 forward is unchanged).
/// Anything else (norm weights, biases, f16 or f64 tensors) is widened to f32 memory.
/// </summary>
public sealed record WeightOptions
{
    public static WeightOptions Frozen { get; } = new();

    /// <summary>The parameters to be trained or otherwise written (merged into), by checkpoint name: e.g. every decoder
    /// weight for full fine-tuning.</summary>
    public Func<string, bool> Trainable { get; init; } = static _ => false;

    /// <summary>
    /// Also hold frozen matrices stored in f32 (or f16, f64) as bf16, rounded once on load: the CPU's bf16 mode, which
    /// multiplies bf16 weights with f32 activations and accumulates in f32.
    /// </summary>
    public bool Bf16 { get; init; }
}
