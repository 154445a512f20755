using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using StyleAlign.Engine.Cpu;

namespace StyleAlign.Cli;

/// <summary><c>engine-cli bench gemm</c>: times a square single-precision GEMM and reports GFLOP/s.</summary>
public sealed class GemmBench : IBenchSubverb
{
    public Command Build()
    {
        var device = new Option<string>("--device") { Description = "cpu or cuda", DefaultValueFactory = _ => "cpu" };
        var size = new Option<int>("--size") { Description = "N of the N×N×N product", DefaultValueFactory = _ => 1024 };
        var repeat = new Option<int>("--repeat") { Description = "timed calls; the best one is reported", DefaultValueFactory = _ => 5 };
        var shape = new Option<string?>("--shape") { Description = "M,N,K of a rectangular product (overrides --size)" };
        var json = new Option<bool>("--json") { Description = "print one JSON object instead of text" };
        var command = new Command("gemm", "Time C = A·B for float matrices (N×N×N, or M×K times K×N with --shape).");
        command.Options.Add(device);
        command.Options.Add(size);
        command.Options.Add(repeat);
        command.Options.Add(shape);
        command.Options.Add(json);
        command.SetAction(parse => Run(parse.GetValue(device) ?? "cpu", parse.GetValue(size), parse.GetValue(shape),
            parse.GetValue(repeat), parse.GetValue(json)));
        return command;
    }

    private static int Run(string device, int size, string? shapeText, int repeat, bool json)
    {
        if (device == "cuda")
        {
            Console.Error.WriteLine("bench gemm: CUDA GEMM is not available yet; use --device cpu.");
            return 2;
        }
        if (device != "cpu")
        {
            Console.Error.WriteLine($"bench gemm: unknown device '{device}', expected cpu or cuda.");
            return 2;
        }
        int m = size, n = size, k = size;
        if (shapeText is not null)
        {
            var parts = shapeText.Split(',');
            if (parts.Length != 3 || !int.TryParse(parts[0], out m) || !int.TryParse(parts[1], out n) || !int.TryParse(parts[2], out k))
            {
                Console.Error.WriteLine($"bench gemm: --shape must be M,N,K (three integers), got '{shapeText}'.");
                return 2;
            }
        }
        if (m < 1 || n < 1 || k < 1 || repeat < 1)
        {
            Console.Error.WriteLine($"bench gemm: sizes and --repeat must be positive, got {m}×{n}×{k} and {repeat}.");
            return 2;
        }

        var (seconds, gflops, cpuGflops) = Measure(m, n, k, repeat);
        var inv = CultureInfo.InvariantCulture;
        bool square = m == n && n == k;
        if (json)
        {
            string sizeField = square ? $"\"size\": {m}, " : "";
            Console.WriteLine(string.Create(inv,
                $"{{\"gflops\": {gflops:F3}, \"seconds\": {seconds:G6}, \"cpu_gflops\": {JsonNumber(cpuGflops)}, {sizeField}\"m\": {m}, \"n\": {n}, \"k\": {k}, \"device\": \"cpu\"}}"));
        }
        else
        {
            Console.WriteLine(string.Create(inv, $"sgemm {m}x{n}x{k} on cpu: {gflops:F2} GFLOP/s, best {seconds * 1e3:F3} ms of {repeat}; {cpuGflops:F2} GFLOP per CPU-second"));
        }
        return 0;
    }

    private static string JsonNumber(double value)
        => double.IsFinite(value) ? value.ToString("F3", CultureInfo.InvariantCulture) : "null";

    /// <summary>
    /// Best per-call time over the repeats, after one warm-up call that also JIT-compiles the kernels. Also the
    /// throughput per CPU-second of the process over all repeats, which other load on the cores skews far less.
    /// </summary>
    internal static (double Seconds, double Gflops, double CpuGflops) Measure(int m, int n, int k, int repeat)
    {
        var random = new Random(1234);
        var a = new float[(long)m * k];
        var b = new float[(long)k * n];
        var c = new float[(long)m * n];
        for (int i = 0; i < a.Length; i++) a[i] = random.NextSingle() - 0.5f;
        for (int i = 0; i < b.Length; i++) b[i] = random.NextSingle() - 0.5f;

        CpuGemm.Sgemm(false, false, m, n, k, 1f, a, k, b, n, 0f, c, n);
        double best = double.MaxValue;
        var cpuStart = Environment.CpuUsage.TotalTime;
        for (int r = 0; r < repeat; r++)
        {
            long start = Stopwatch.GetTimestamp();
            CpuGemm.Sgemm(false, false, m, n, k, 1f, a, k, b, n, 0f, c, n);
            best = Math.Min(best, Stopwatch.GetElapsedTime(start).TotalSeconds);
        }
        double cpuSeconds = (Environment.CpuUsage.TotalTime - cpuStart).TotalSeconds / repeat;
        double flops = 2.0 * m * n * (double)k;
        // Tiny products can finish inside one tick of the CPU-time clock; there is no rate to report then.
        double cpuGflops = cpuSeconds > 0 ? flops / cpuSeconds / 1e9 : double.NaN;
        return (best, flops / best / 1e9, cpuGflops);
    }
}
