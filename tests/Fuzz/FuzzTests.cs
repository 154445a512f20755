using System.Text;
using NUnit.Framework;

namespace StyleAlign.Tests.Fuzz;

/// <summary>
/// The seeded mutation fuzzer over the engine's input files. Each kind runs a fixed number of cases in CI;
/// <c>STYLEALIGN_FUZZ_CASES</c> sets the number per kind for a long run, <c>STYLEALIGN_FUZZ_SEED</c> the seed
/// (cases depend only on seed, kind and index, so any failure reruns alone with <c>STYLEALIGN_FUZZ_ONLY=kind:index</c>).
/// docs/fuzzing.md describes the oracles.
/// </summary>
[TestFixture]
[Category("Fuzz")]
[NonParallelizable]
public sealed class FuzzTests
{
    private const int DefaultCasesPerKind = 60;

    /// <summary>Kinds whose cases run whole verbs (a model load, a training step) run fewer cases in CI.</summary>
    private static int DefaultCases(string kind) => kind switch
    {
        "data" => 30,
        "verbs" => 40,
        _ => DefaultCasesPerKind,
    };
    private const int DefaultSeed = 20240917;

    /// <summary>Far above any case's normal time (a few hundred ms at most on a busy machine).</summary>
    private static readonly TimeSpan CaseTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Bound on what one case may allocate: the tiny models and files need a few MB; a bad input refused
    /// before allocation needs less. Images may legitimately decode to tens of MB.</summary>
    private static long AllocationLimit(string kind) => kind switch
    {
        "image" => 256L << 20,
        // A verb loads a model and may train a step; its own thread's allocations stay well under this (other
        // threads' are not counted).
        "data" or "verbs" or "forward-inputs" => 512L << 20,
        _ => 64L << 20,
    };

    private FuzzWorkspace _workspace = null!;

    [OneTimeSetUp]
    public void CreateWorkspace() => _workspace = new FuzzWorkspace();

    [OneTimeTearDown]
    public void DeleteWorkspace() => _workspace.Dispose();

    private readonly Dictionary<string, IFuzzTarget> _targets = [];

    /// <summary>One target per kind for the fixture's life: a target writes its seed files into the shared workspace
    /// once, and the verbs kind reuses the library kinds' targets (and their seeds) when they already ran.</summary>
    private IFuzzTarget Target(string kind)
    {
        if (!_targets.TryGetValue(kind, out var target)) _targets[kind] = target = NewTarget(kind);
        return target;
    }

    private IFuzzTarget NewTarget(string kind) => kind switch
    {
        "safetensors" => new SafetensorsFuzz(_workspace),
        "qwen-config" => new ConfigFuzz(_workspace, qwen: true),
        "clip-config" => new ConfigFuzz(_workspace, qwen: false),
        "tokenizer" => new TokenizerFuzz(_workspace),
        "preprocessor" => new ProcessorFuzz(_workspace),
        "image" => new ImageFuzz(_workspace),
        "forward-inputs" => new ForwardInputsFuzz(_workspace),
        "data" => new DataFuzz(_workspace),
        "verbs" => new VerbFuzz(_workspace, Target),
        "command-line" => new CommandLineFuzz(),
        _ => throw new ArgumentException(kind),
    };

    [TestCase("safetensors")]
    [TestCase("qwen-config")]
    [TestCase("clip-config")]
    [TestCase("tokenizer")]
    [TestCase("preprocessor")]
    [TestCase("image")]
    [TestCase("forward-inputs")]
    [TestCase("data")]
    [TestCase("verbs")]
    [TestCase("command-line")]
    public void MutatedInputsAreRefusedCleanlyOrLoaded(string kind)
    {
        int seed = EnvironmentInt("STYLEALIGN_FUZZ_SEED") ?? DefaultSeed;
        int cases = EnvironmentInt("STYLEALIGN_FUZZ_CASES") ?? DefaultCases(kind);
        var only = Environment.GetEnvironmentVariable("STYLEALIGN_FUZZ_ONLY")?.Split(':');
        if (only is not null && only[0] != kind) Assert.Ignore($"STYLEALIGN_FUZZ_ONLY selects {only[0]}");
        var indexes = only is { Length: 2 } ? [int.Parse(only[1], System.Globalization.CultureInfo.InvariantCulture)] : Enumerable.Range(0, cases);

        var target = Target(kind);
        var results = new List<FuzzResult>();
        foreach (int index in indexes)
        {
            string folder = _workspace.CaseFolder(kind, index);
            var fuzzCase = target.Generate(FuzzWorkspace.CaseRandom(seed, kind, index), folder);
            var result = FuzzRunner.Run(kind, index, fuzzCase, CaseTimeout, AllocationLimit(kind));
            results.Add(result.Failure is null ? result : result with { Failure = $"{result.Failure} (input kept in {_workspace.Keep(folder)})" });
            if (result.Failure is null) _workspace.DeleteCaseFolder(folder);
        }

        TestContext.Out.WriteLine(Summary(kind, seed, results));
        var failures = results.Where(r => r.Failure is not null).ToList();
        Assert.That(failures, Is.Empty, () => string.Join(Environment.NewLine,
            failures.Take(30).Select(f => $"{f.Kind}:{f.Index} [{f.Mutation}] {f.Failure}")));
    }

    private static string Summary(string kind, int seed, List<FuzzResult> results)
    {
        var text = new StringBuilder();
        text.AppendLine($"fuzz {kind} (seed {seed}): {results.Count} cases, {results.Count(r => r.Refused)} refused, " +
            $"{results.Count(r => !r.Refused)} accepted, {results.Count(r => r.Failure is not null)} failed; " +
            $"max {results.Max(r => r.AllocatedBytes) / 1048576.0:0.0} MiB allocated, max {results.Max(r => r.Elapsed.TotalMilliseconds):0} ms, " +
            $"total {results.Sum(r => r.Elapsed.TotalSeconds):0.0} s");
        foreach (var group in results.GroupBy(r => MutationClass(r.Mutation)).OrderBy(g => g.Key, StringComparer.Ordinal))
            text.AppendLine($"  {group.Count(),5}  {group.Count(r => r.Refused),5} refused  {group.Key}");
        return text.ToString();
    }

    /// <summary>The mutation without its random value, for the per-class counts.</summary>
    private static string MutationClass(string mutation)
    {
        int equals = mutation.IndexOf(" = ", StringComparison.Ordinal);
        string name = equals < 0 ? mutation : mutation[..equals] + (mutation.EndsWith("(valid)", StringComparison.Ordinal) ? " = valid value" : " = invalid value");
        return new string(name.Select(c => char.IsDigit(c) ? '#' : c).ToArray());
    }

    private static int? EnvironmentInt(string name) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), System.Globalization.CultureInfo.InvariantCulture, out int value) ? value : null;
}
