using System.Globalization;

namespace StyleAlign.Engine.Cuda;

/// <summary>Parses device names as users type them: "cuda", "cuda:0", "cuda:1".</summary>
public static class CudaDeviceSpec
{
    /// <summary>The device index of "cuda" (0) or "cuda:N".</summary>
    public static int Parse(string spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var text = spec.Trim().ToLowerInvariant();
        if (text == "cuda") return 0;
        if (text.StartsWith("cuda:", StringComparison.Ordinal) &&
            int.TryParse(text.AsSpan(5), NumberStyles.None, CultureInfo.InvariantCulture, out var index))
            return index;
        throw new FormatException($"Device '{spec}' is not a CUDA device: expected 'cuda' or 'cuda:N' with N a device index.");
    }

    public static bool TryParse(string spec, out int index)
    {
        try { index = Parse(spec); return true; }
        catch (FormatException) { index = -1; return false; }
    }
}
