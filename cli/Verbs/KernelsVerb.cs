using System.CommandLine;
using System.Text.Json;
using StyleAlign.Engine.Cuda;
using StyleAlign.Engine.Cuda.Interop;

namespace StyleAlign.Cli.Verbs;

/// <summary>`engine-cli kernels --compile-all`: compiles every kernel family through NVRTC (no GPU needed).</summary>
public sealed class KernelsVerb : IVerb
{
    public Command Build()
    {
        var compileAll = new Option<bool>("--compile-all") { Description = "Compile every embedded kernel family to CUBIN and report sizes, times, registers and spills." };
        var arch = new Option<string>("--arch") { Description = "Target architecture, sm_XY (e.g. sm_80, sm_90).", DefaultValueFactory = _ => "sm_80" };
        var json = new Option<bool>("--json") { Description = "Print one JSON object instead of a table." };
        var only = new Option<string?>("--family") { Description = "Compile only this family (default: all)." };
        var command = new Command("kernels", "Inspect and compile the CUDA kernels (NVRTC only; no GPU needed).");
        command.Options.Add(compileAll);
        command.Options.Add(arch);
        command.Options.Add(json);
        command.Options.Add(only);
        command.SetAction(parse =>
        {
            if (!parse.GetValue(compileAll))
            {
                foreach (var family in KernelSources.Families) Console.WriteLine(family);
                return ExitCodes.Ok;
            }
            IReadOnlyList<string> families = parse.GetValue(only) is { } one ? [one] : KernelSources.Families;
            return CompileAll(families, parse.GetValue(arch)!, parse.GetValue(json));
        });
        return command;
    }

    private static int CompileAll(IReadOnlyList<string> families, string architecture, bool asJson)
    {
        CliErrors.AsUsage(() => KernelCompiler.ValidateArchitecture(architecture));
        if (!KernelCompiler.IsAvailable)
        {
            NativeLibraries.TryLoad(CudaLibrary.Nvrtc, out _, out var detail);
            throw new InvalidOperationException($"libnvrtc is not available: {detail}. Install it (Debian: libnvrtc11.2 libnvrtc-builtins11.8).");
        }
        var nvrtc = Nvrtc.TryGetVersion()!.ToString();
        var results = new List<object>();
        var failed = 0;
        foreach (var family in families)
        {
            try
            {
                var compilation = KernelCompiler.Compile(family, architecture);
                results.Add(new
                {
                    family,
                    ok = true,
                    cubin_bytes = compilation.Cubin.Length,
                    compile_ms = Math.Round(compilation.CompileTime.TotalMilliseconds, 1),
                    kernels = compilation.Kernels.Select(k => new
                    {
                        name = k.Kernel, registers = k.Registers, spill_stores = k.SpillStoreBytes, spill_loads = k.SpillLoadBytes,
                        stack = k.StackFrameBytes, smem = k.SharedBytes,
                    }).ToArray(),
                });
                if (!asJson) PrintFamily(compilation);
            }
            catch (Exception e) when (e is CudaException or ArgumentException)
            {
                failed++;
                results.Add(new { family, ok = false, error = e.Message });
                if (!asJson) Console.WriteLine($"{family}: FAILED{Environment.NewLine}{e.Message}");
            }
        }
        if (asJson)
        {
            var report = new { arch = architecture, families = families.Count, failed, nvrtc, results };
            Console.WriteLine(JsonSerializer.Serialize(report, new JsonSerializerOptions { WriteIndented = true }));
        }
        else
        {
            Console.WriteLine($"{families.Count} families, {failed} failed, {architecture}, NVRTC {nvrtc}");
        }
        return failed == 0 ? ExitCodes.Ok : ExitCodes.Failure;
    }

    private static void PrintFamily(KernelCompilation compilation)
    {
        var spilling = compilation.Kernels.Count(k => k.SpillStoreBytes > 0 || k.SpillLoadBytes > 0);
        Console.WriteLine($"{compilation.Family}: {compilation.Cubin.Length:N0} B CUBIN, {compilation.CompileTime.TotalMilliseconds:F0} ms, " +
                          $"{compilation.Kernels.Count} kernels, {spilling} spilling");
        foreach (var k in compilation.Kernels.OrderBy(k => k.Kernel, StringComparer.Ordinal))
            Console.WriteLine($"  {k.Kernel,-48} {k.Registers,4} regs  spill {k.SpillStoreBytes}/{k.SpillLoadBytes} B  stack {k.StackFrameBytes} B  smem {k.SharedBytes} B");
    }
}
