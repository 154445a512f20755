using StyleAlign.Engine.Core;
using StyleAlign.Engine.Models.Qwen25VL;

namespace StyleAlign.Trainers.Training;

/// <summary>
/// What the optimizer updates and how it reaches the model: LoRA adapters (acting through the decoder's projection
/// hook) or the model's own tensors (full fine-tuning). Disposing releases what the parameters hold and never
/// changes the model's weights; <see cref="MergeInto"/> does that, explicitly.
/// </summary>
public interface ITrainableParameters : IDisposable
{
    /// <summary>The optimizer's leaves, by name, in a fixed order.</summary>
    IReadOnlyList<(string Name, Tensor Parameter)> Named { get; }

    /// <summary>Names whose tensors take weight decay (matrices; not biases or norm weights).</summary>
    bool Decays(string name, Tensor parameter);

    /// <summary>
    /// Called before the forward passes of optimizer step <paramref name="step"/> (0-based). Random draws that belong
    /// to the trainable parameters (LoRA dropout masks) are keyed by it, so a resumed run draws what an uninterrupted
    /// one drew.
    /// </summary>
    void BeginStep(int step);

    /// <summary>Makes the model compute as the reference (the weights training started from) until disposed.</summary>
    IDisposable UseReference();

    /// <summary>
    /// Makes the trained values part of <paramref name="model"/> itself, so it computes the trained function with no
    /// trainable parameters attached (LoRA: W ← W + (α/r)·B·A; full fine-tuning trained the model's own tensors).
    /// </summary>
    void MergeInto(Qwen25VLModel model);

    /// <summary>Writes the trainable tensors (and, for adapters, the PEFT config) into a folder.</summary>
    void Save(string folder);

    /// <summary>Reads tensors written by <see cref="Save"/>.</summary>
    void Load(string folder);
}
