using System.CommandLine;
using StyleAlign.Engine.Cuda;
using StyleAlign.Engine.Cuda.Interop;

namespace StyleAlign.Cli.Verbs;

/// <summary>
/// `engine-cli doctor`: reports the CUDA stack (driver, NVRTC, cuBLAS, GPU, architecture, memory), then compiles and
/// runs one kernel and one cuBLAS GEMM. A machine without a GPU is not an error: it says what is missing and exits 0.
/// </summary>
public sealed class DoctorVerb : IVerb
{
    public Command Build()
    {
        var device = new Option<string>("--device") { Description = "CUDA device to check (cuda or cuda:N).", DefaultValueFactory = _ => "cuda:0" };
        var command = new Command("doctor", "Check the CUDA driver, NVRTC, cuBLAS and GPU, and run one kernel.");
        command.Options.Add(device);
        command.SetAction(parse => Run(Console.Out, parse.GetValue(device)!));
        return command;
    }

    /// <summary>Writes the report; returns 0 unless a present GPU fails its checks.</summary>
    internal static int Run(TextWriter output, string deviceSpec = "cuda:0")
    {
        var probe = CudaProbe.Current;
        NativeLibraries.TryLoad(CudaLibrary.Nvrtc, out _, out var nvrtcDetail);
        output.WriteLine($"driver library : {(probe.DriverLibraryPresent ? probe.DriverLibraryDetail : "MISSING — " + probe.DriverLibraryDetail)}");
        output.WriteLine($"driver version : {probe.DriverVersion?.ToString() ?? "-"} (cuInit {(probe.DriverLibraryPresent ? probe.InitResult.ToString() : "not called")})");
        output.WriteLine($"NVRTC          : {(probe.NvrtcVersion is { } nv ? $"{nv} ({nvrtcDetail})" : "MISSING — " + nvrtcDetail)}");
        output.WriteLine($"cuBLAS         : {(probe.CublasVersion is { } cb ? $"{cb} ({probe.CublasDetail})" : "MISSING — " + probe.CublasDetail)}");
        output.WriteLine($"CUDA devices   : {probe.DeviceCount}");
        if (probe.StandIn is { } standIn) output.WriteLine($"STAND-IN       : this is not a GPU — {standIn}; timings below are CPU times");

        if (!probe.HasDevice)
        {
            output.WriteLine($"GPU            : none — {probe.UnavailableReason}");
            if (probe.NvrtcVersion is not null) CompileOnly(output);
            output.WriteLine("result         : no CUDA device; the engine runs on the CPU.");
            return ExitCodes.Ok;
        }

        try
        {
            var context = CudaContext.Get(deviceSpec);
            var (free, total) = context.MemoryInfo();
            output.WriteLine($"GPU            : cuda:{context.DeviceIndex} {context.DeviceName}");
            output.WriteLine($"architecture   : {context.Architecture} ({context.MultiprocessorCount} SMs)");
            output.WriteLine($"memory         : {free / 1073741824.0:F1} GiB free of {total / 1073741824.0:F1} GiB; pool: {(context.UsesMemoryPool ? "stream-ordered" : "none (synchronous cuMemAlloc)")}");
            output.WriteLine($"kernel cache   : {context.Kernels.CacheDirectory}");
            var kernelOk = CudaSelfTest.RunScaleKernel(context, output);
            var gemmOk = probe.CublasVersion is null || CudaSelfTest.RunGemm(context, output);
            output.WriteLine($"result         : {(kernelOk && gemmOk ? "OK" : "FAILED")}");
            return kernelOk && gemmOk ? ExitCodes.Ok : ExitCodes.Failure;
        }
        catch (Exception e) when (e is CudaException or InvalidOperationException or ArgumentException or FormatException)
        {
            output.WriteLine($"result         : FAILED — {e.Message}");
            return ExitCodes.Failure;
        }
    }

    private static void CompileOnly(TextWriter output)
    {
        try
        {
            var compilation = KernelCompiler.Compile("softmax", "sm_80");
            output.WriteLine($"NVRTC check    : softmax.cu → {compilation.Cubin.Length:N0} B CUBIN for sm_80 in {compilation.CompileTime.TotalMilliseconds:F0} ms");
        }
        catch (CudaException e)
        {
            output.WriteLine($"NVRTC check    : FAILED — {e.Message}");
        }
    }
}
