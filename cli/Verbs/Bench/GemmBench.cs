using System.CommandLine;
using System.Globalization;
using StyleAlign.Bench.Harness;
using StyleAlign.Engine.Core;
using StyleAlign.Engine.Cuda;

namespace StyleAlign.Cli;

/// <summary><c>engine-cli bench gemm</c>: times a GEMM (f32, or bf16 operands with f32 accumulation) and reports GFLOP/s.</summary>
public sealed class GemmBench : IBenchSubverb
{
    public Command Build()
    {
        var device = new Option<string>("--device") { Description = "cpu or cuda", DefaultValueFactory = _ => "cpu" };
        var size = new Option<int>("--size") { Description = "N of the N×N×N product", DefaultValueFactory = _ => 1024 }.AtLeast(1);
        var repeat = new Option<int>("--repeat") { Description = "timed calls; the best one is reported", DefaultValueFactory = _ => 5 }.AtLeast(1);
        var shape = new Option<string?>("--shape") { Description = "M,N,K of a rectangular product (overrides --size)" };
        var json = new Option<bool>("--json") { Description = "print one JSON object instead of text" };
        var dtype = new Option<string>("--dtype") { Description = "f32, bf16 (A and B), or on cpu f32-bf16 (A f32, B bf16)", DefaultValueFactory = _ => "f32" };
        var transposeB = new Option<bool>("--transpose-b") { Description = "cpu: B stored N×K and read transposed, as a linear layer's weight" };
        var command = new Command("gemm", "Time C = A·B for float matrices (N×N×N, or M×K times K×N with --shape).");
        command.Options.Add(device);
        command.Options.Add(size);
        command.Options.Add(repeat);
        command.Options.Add(shape);
        command.Options.Add(json);
        command.Options.Add(dtype);
        command.Options.Add(transposeB);
        command.SetAction(parse => Run(parse.GetValue(device) ?? "cpu", parse.GetValue(size), parse.GetValue(shape),
            parse.GetValue(repeat), parse.GetValue(json), parse.GetValue(dtype) ?? "f32", parse.GetValue(transposeB)));
        return command;
    }

    private static int Run(string device, int size, string? shapeText, int repeat, bool json, string dtypeText, bool transposeB)
    {
        if (device != "cpu" && device != "cuda")
            throw new UsageException($"--device '{device}': expected cpu or cuda");
        int m = size, n = size, k = size;
        if (shapeText is not null)
        {
            var parts = shapeText.Split(',');
            if (parts.Length != 3 || !int.TryParse(parts[0], out m) || !int.TryParse(parts[1], out n) || !int.TryParse(parts[2], out k))
                throw new UsageException($"--shape '{shapeText}': expected M,N,K (three integers)");
            if (m < 1 || n < 1 || k < 1) throw new UsageException($"--shape '{shapeText}': every size must be at least 1");
        }
        if (dtypeText is not ("f32" or "bf16" or "f32-bf16") || (dtypeText == "f32-bf16" && device == "cuda"))
            throw new UsageException($"--dtype '{dtypeText}': expected f32, bf16 or (cpu only) f32-bf16 on {device}");
        if (device == "cuda") return RunCuda(m, n, k, repeat, json, dtypeText == "bf16" ? DType.BF16 : DType.F32);

        var inputs = dtypeText switch { "bf16" => CpuGemmInputs.Bf16, "f32-bf16" => CpuGemmInputs.F32TimesBf16, _ => CpuGemmInputs.F32 };
        var timing = CpuGemmBenchmark.Measure(m, n, k, inputs, transposeB, repeat);
        var (seconds, gflops, cpuGflops) = (timing.BestSeconds, timing.Gflops, timing.CpuGflops);
        var inv = CultureInfo.InvariantCulture;
        bool square = m == n && n == k;
        if (json)
        {
            string sizeField = square ? $"\"size\": {m}, " : "";
            Console.WriteLine(string.Create(inv,
                $"{{\"gflops\": {gflops:F3}, \"seconds\": {seconds:G6}, \"cpu_gflops\": {JsonNumber(cpuGflops)}, {sizeField}\"m\": {m}, \"n\": {n}, \"k\": {k}, \"dtype\": \"{dtypeText}\", \"transpose_b\": {(transposeB ? "true" : "false")}, \"device\": \"cpu\"}}"));
        }
        else
        {
            Console.WriteLine(string.Create(inv, $"gemm {dtypeText} {m}x{n}x{k}{(transposeB ? " (B transposed)" : "")} on cpu: {gflops:F2} GFLOP/s, best {seconds * 1e3:F3} ms of {repeat}; {cpuGflops:F2} GFLOP per CPU-second"));
        }
        return 0;
    }

    /// <summary>The cuBLAS GEMM the CUDA backend's MatMul uses, timed with CUDA events; reports TFLOP/s.</summary>
    private static int RunCuda(int m, int n, int k, int repeat, bool json, DType dtype)
    {
        if (!CudaContext.IsAvailable) throw new UsageException($"--device cuda: no CUDA device: {CudaContext.UnavailableReason}");
        var timing = CudaGemmBenchmark.Measure(m, n, k, dtype, repeat);
        var inv = CultureInfo.InvariantCulture;
        var name = dtype.Name();
        if (json)
            Console.WriteLine(string.Create(inv,
                $"{{\"tflops\": {timing.Tflops:F3}, \"seconds\": {timing.BestMilliseconds / 1e3:G6}, \"m\": {m}, \"n\": {n}, \"k\": {k}, \"dtype\": \"{name}\", \"device\": \"cuda\", \"gpu\": \"{timing.DeviceName}\"}}"));
        else
            Console.WriteLine(string.Create(inv, $"gemm {name} {m}x{n}x{k} on {timing.DeviceName}: {timing.Tflops:F2} TFLOP/s, best {timing.BestMilliseconds:F3} ms of {repeat} (CUDA events)"));
        return 0;
    }

    private static string JsonNumber(double value)
        => double.IsFinite(value) ? value.ToString("F3", CultureInfo.InvariantCulture) : "null";
}
