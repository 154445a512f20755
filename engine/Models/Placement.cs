using StyleAlign.Engine.Core;

namespace StyleAlign.Engine.Models;

/// <summary>
/// Where a model runs and the dtype its frozen weights are stored in: f32 by default on the CPU, bf16 on a GPU
/// (weights and activations bf16, accumulation and statistics f32). Trainable weights (LoRA adapters, fully
/// fine-tuned weights) and optimizer state stay f32 whatever the weights' dtype.
/// </summary>
public readonly record struct Placement(Device Device, DType WeightDType)
{
    public static readonly Placement Cpu = new(Device.Cpu, DType.F32);

    /// <summary>The device's default: f32 on the CPU, bf16 on a GPU.</summary>
    public static Placement On(Device device) => new(device, device.IsCpu ? DType.F32 : DType.BF16);

    public override string ToString() => $"{Device} {WeightDType.ToString().ToLowerInvariant()}";
}
