using System.Globalization;
using System.Runtime.Intrinsics;

namespace StyleAlign.Bench.Harness;

/// <summary>
/// The peak a device's MFU is measured against. GPUs: the bf16 dense tensor-core peak of the product, by name. The CPU:
/// cores × FMA lanes × 2 × nominal clock, where FMA lanes are the fp32 multiply-adds one core can issue per cycle (the
/// widest vector's lanes times two FMA pipes, unless given) and the clock is the nominal one (/proc/cpuinfo, unless
/// given); the engine computes in fp32 on the CPU, bf16 operands widened, so this is its bf16 peak too.
/// </summary>
public sealed record DevicePeak(double Tflops, string Basis)
{
    /// <summary>bf16 dense TFLOP/s by GPU product; the first name the device's contains wins (so the more specific first).</summary>
    private static readonly (string Name, double Tflops)[] Gpus =
    [
        ("GH200", 989.4), ("H200", 989.4), ("H100 PCIe", 756.5), ("H100 NVL", 835.5), ("H100", 989.4), ("H800", 989.4),
        ("A100", 312.0), ("A800", 312.0), ("L40S", 362.05), ("L40", 181.05), ("L4", 121.0), ("A10", 125.0),
    ];

    /// <summary>The table's peak for a GPU name, or null for a GPU it does not list.</summary>
    public static DevicePeak? Gpu(string deviceName)
    {
        foreach (var (name, tflops) in Gpus)
            if (deviceName.Contains(name, StringComparison.OrdinalIgnoreCase))
                return new DevicePeak(tflops, $"{name} bf16 dense tensor-core peak");
        return null;
    }

    /// <summary>The CPU's peak; null when the clock is neither given nor readable.</summary>
    public static DevicePeak? Cpu(double? gigahertz = null, int? fmaLanes = null, int? cores = null)
    {
        var clock = gigahertz ?? NominalGigahertz();
        if (clock is not { } ghz) return null;
        var lanes = fmaLanes ?? DefaultFmaLanes();
        var count = cores ?? Environment.ProcessorCount;
        return new DevicePeak(count * lanes * 2 * ghz / 1000.0,
            string.Create(CultureInfo.InvariantCulture, $"{count} cores x {lanes} FMA lanes x 2 x {ghz:F3} GHz"));
    }

    /// <summary>fp32 lanes of the widest accelerated vector, times two FMA pipes per core.</summary>
    public static int DefaultFmaLanes() =>
        2 * (Vector512.IsHardwareAccelerated ? 16 : Vector256.IsHardwareAccelerated ? 8 : 4);

    private static double? NominalGigahertz()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/cpuinfo"))
                if (line.StartsWith("cpu MHz", StringComparison.Ordinal))
                    return double.Parse(line[(line.IndexOf(':') + 1)..].Trim(), CultureInfo.InvariantCulture) / 1000.0;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
        }
        return null;
    }
}
