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
        var json = new Option<bool>("--json") { Description = "print one JSON object instead of text" };
        var command = new Command("gemm", "Time C = A·B for N×N float matrices.");
        command.Options.Add(device);
        command.Options.Add(size);
        command.Options.Add(repeat);
        command.Options.Add(json);
        command.SetAction(parse => Run(parse.GetValue(device) ?? "cpu", parse.GetValue(size), parse.GetValue(repeat), parse.GetValue(json)));
        return command;
    }

    private static int Run(string device, int size, int repeat, bool json)
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
        if (size < 1 || repeat < 1)
        {
            Console.Error.WriteLine($"bench gemm: --size and --repeat must be positive, got {size} and {repeat}.");
            return 2;
        }

        var (seconds, gflops) = Measure(size, repeat);
        var inv = CultureInfo.InvariantCulture;
        if (json)
            Console.WriteLine(string.Create(inv, $"{{\"gflops\": {gflops:F3}, \"seconds\": {seconds:G6}, \"size\": {size}, \"device\": \"cpu\"}}"));
        else
            Console.WriteLine(string.Create(inv, $"sgemm {size}³ on cpu: {gflops:F2} GFLOP/s, best {seconds * 1e3:F3} ms of {repeat}"));
        return 0;
    }

    /// <summary>Best per-call time over the repeats, after one warm-up call that also JIT-compiles the kernels.</summary>
    internal static (double Seconds, double Gflops) Measure(int size, int repeat)
    {
        var random = new Random(1234);
        var a = new float[size * size];
        var b = new float[size * size];
        var c = new float[size * size];
        for (int i = 0; i < a.Length; i++) { a[i] = random.NextSingle() - 0.5f; b[i] = random.NextSingle() - 0.5f; }

        CpuGemm.Sgemm(false, false, size, size, size, 1f, a, size, b, size, 0f, c, size);
        double best = double.MaxValue;
        for (int r = 0; r < repeat; r++)
        {
            long start = Stopwatch.GetTimestamp();
            CpuGemm.Sgemm(false, false, size, size, size, 1f, a, size, b, size, 0f, c, size);
            best = Math.Min(best, Stopwatch.GetElapsedTime(start).TotalSeconds);
        }
        double flops = 2.0 * size * size * (double)size;
        return (best, flops / best / 1e9);
    }
}
