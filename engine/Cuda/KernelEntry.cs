namespace StyleAlign.Engine.Cuda;

/// <summary>
/// One kernel entry point: its family (kernels/&lt;family&gt;.cu), its extern "C" name, and the compile options that
/// select the module variant it lives in (e.g. the attention head dim); no options means the family's one module.
/// </summary>
public readonly record struct KernelEntry(string Family, string Name, IReadOnlyList<string>? Options = null)
{
    public override string ToString() => Options is { Count: > 0 } ? $"{Family}.cu[{string.Join(' ', Options)}]:{Name}" : $"{Family}.cu:{Name}";
}
