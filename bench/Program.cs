using BenchmarkDotNet.Running;

namespace StyleAlign.Bench;

/// <summary>Entry point: <c>dotnet run -c Release --project bench -- --filter '*Gemm*'</c> picks benchmarks by name.</summary>
public static class Program
{
    public static void Main(string[] args) => BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
}
