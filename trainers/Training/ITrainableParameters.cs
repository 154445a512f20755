using StyleAlign.Engine.Core;

namespace StyleAlign.Trainers.Training;

/// <summary>
/// What the optimizer updates and how it reaches the model: LoRA adapters (merged into the projection weights each
/// step) or the model's own tensors (full fine-tuning).
/// </summary>
public interface ITrainableParameters : IDisposable
{
    /// <summary>The optimizer's leaves, by name, in a fixed order.</summary>
    IReadOnlyList<(string Name, Tensor Parameter)> Named { get; }

    /// <summary>Names whose tensors take weight decay (matrices; not biases or norm weights).</summary>
    bool Decays(string name, Tensor parameter);

    /// <summary>Makes the model compute with the current trainable values.</summary>
    void Install();

    /// <summary>After all backward passes of a step: turns what the model accumulated into the leaves' gradients.</summary>
    void CollectGradients();

    /// <summary>Makes the model compute as the reference (the weights training started from) until disposed.</summary>
    IDisposable UseReference();

    /// <summary>Writes the trainable tensors (and, for adapters, the PEFT config) into a folder.</summary>
    void Save(string folder);

    /// <summary>Reads tensors written by <see cref="Save"/>.</summary>
    void Load(string folder);
}
