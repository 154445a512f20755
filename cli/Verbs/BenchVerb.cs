using System.CommandLine;
using StyleAlign.Engine.Core;

namespace StyleAlign.Cli;

/// <summary>
/// A subcommand of <c>bench</c>. Each benchmark lives in its own file under Verbs/Bench/ and is found by
/// reflection, so adding one never touches this verb.
/// </summary>
public interface IBenchSubverb
{
    Command Build();
}

/// <summary><c>engine-cli bench &lt;what&gt;</c>: micro-benchmarks of engine primitives.</summary>
public sealed class BenchVerb : IVerb
{
    public Command Build()
    {
        var command = new Command("bench", "Time engine primitives (GEMM, attention, ...) and print throughput.");
        var subverbs = typeof(BenchVerb).Assembly.GetTypes()
            .Where(t => typeof(IBenchSubverb).IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false })
            .Select(t => (IBenchSubverb)Activator.CreateInstance(t)!)
            .Select(s => s.Build())
            .OrderBy(c => c.Name, StringComparer.Ordinal);
        foreach (var sub in subverbs) command.Subcommands.Add(sub);
        return command;
    }
}

/// <summary>The device a benchmark runs on: one the engine has the benchmarked op for, or a usage error.</summary>
internal static class BenchDevices
{
    public static Device Require<TOp>(string text)
        where TOp : class
    {
        Device device;
        try
        {
            device = Device.Parse(text);
        }
        catch (FormatException e)
        {
            throw new UsageException($"--device '{text}': {e.Message}");
        }
        if (device.IsCpu) return device;
        try
        {
            Backends.For<TOp>(device);
            Backends.For(device);
        }
        catch (Exception e) when (e is InvalidOperationException or NotSupportedException)
        {
            throw new UsageException($"--device {device}: {e.Message}");
        }
        return device;
    }
}
