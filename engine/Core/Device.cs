namespace StyleAlign.Engine.Core;

public enum DeviceKind
{
    Cpu,
    Cuda,
}

/// <summary>Where a tensor's storage lives: the CPU or a CUDA device by ordinal.</summary>
public readonly record struct Device(DeviceKind Kind, int Index)
{
    public static readonly Device Cpu = new(DeviceKind.Cpu, 0);

    public static Device Cuda(int index = 0) => new(DeviceKind.Cuda, index);

    public bool IsCpu => Kind == DeviceKind.Cpu;

    /// <summary>Parses "cpu", "cuda" or "cuda:N".</summary>
    public static Device Parse(string text)
    {
        var t = text.Trim().ToLowerInvariant();
        if (t == "cpu") return Cpu;
        if (t == "cuda") return Cuda(0);
        if (t.StartsWith("cuda:", StringComparison.Ordinal) && int.TryParse(t.AsSpan(5), out var n) && n >= 0) return Cuda(n);
        throw new FormatException($"device '{text}' is not one of: cpu, cuda, cuda:N");
    }

    public override string ToString() => Kind == DeviceKind.Cpu ? "cpu" : $"cuda:{Index}";
}
