using System.Reflection;
using NUnit.Framework;
using StyleAlign.Engine.Cuda;

namespace StyleAlign.Tests.Cuda;

/// <summary>
/// Every kernel family has one launcher class, named after its .cu file, and every argument list a launcher passes
/// matches the parameter list of the entry point it names in the source: the same count, and each argument the size
/// of its parameter. Every entry point of every source is launched by some launcher, so none is dead.
/// </summary>
[TestFixture, Category("Unit")]
public sealed class KernelLauncherSignatureTests
{
    private static readonly Lazy<IReadOnlyList<RecordedLaunch>> Launches = new(RecordEveryLaunch);

    [Test]
    public void EveryFamilyHasOneLauncherNamedAfterItsSource()
    {
        var launchers = LauncherTypes().ToDictionary(t => t, t => Create(t, new RecordingLauncher()).Family);
        foreach (var family in KernelSources.Families)
        {
            var owners = launchers.Where(kv => kv.Value == family).Select(kv => kv.Key).ToList();
            Assert.That(owners, Has.Count.EqualTo(1), $"launchers of {family}.cu: {string.Join(", ", owners.Select(t => t.Name))}");
            Assert.That(owners[0].Name, Is.EqualTo(ClassNameOf(family)), $"the launcher of {family}.cu is named after the file");
        }
        Assert.That(launchers.Values, Is.SubsetOf(KernelSources.Families), "a launcher names a family that has no source");
    }

    [Test]
    public void EveryLaunchPassesTheArgumentsItsKernelDeclares()
    {
        var signatures = KernelSources.Families.ToDictionary(f => f, f => KernelSignatures.Of(KernelSources.Source(f)));
        var mismatches = new List<string>();
        foreach (var launch in Launches.Value)
        {
            var entry = launch.Entry;
            if (!signatures[entry.Family].TryGetValue(entry.Name, out var signature))
            {
                mismatches.Add($"{launch.Method}: {entry} is not an entry point of {entry.Family}.cu");
                continue;
            }
            if (!signature.ParameterSizes.SequenceEqual(launch.Sizes))
                mismatches.Add($"{launch.Method}: {entry.Name}({string.Join(", ", signature.ParameterTypes)}) takes sizes [{string.Join(", ", signature.ParameterSizes)}], "
                    + $"the launcher passes [{string.Join(", ", launch.Sizes)}]");
        }
        Assert.That(mismatches.Distinct(), Is.Empty);
    }

    [Test]
    public void EveryEntryPointIsLaunchedBySomeLauncher()
    {
        var launched = Launches.Value.Select(l => (l.Entry.Family, l.Entry.Name)).ToHashSet();
        var unlaunched = KernelSources.Families
            .SelectMany(f => KernelSignatures.Of(KernelSources.Source(f)).Keys.Select(name => (Family: f, Name: name)))
            .Where(e => !launched.Contains(e)).Select(e => $"{e.Family}.cu:{e.Name}").ToList();
        Assert.That(unlaunched, Is.Empty, "entry points no launcher reaches");
    }

    [Test]
    public void EveryLauncherMethodLaunchesSomething()
    {
        var methods = LauncherTypes().SelectMany(LaunchMethods).Select(Describe).ToHashSet();
        Assert.That(methods, Is.Not.Empty);
        Assert.That(methods.Except(Launches.Value.Select(l => l.Method)), Is.Empty, "launcher methods that refused every argument tried");
    }

    [Test]
    public void TheSignatureReaderExpandsInstantiationMacros()
    {
        const string source = """
            // k.cu
            #include "common.cuh"
            #define SA_K(T, NAME)                                                        \
                extern "C" __global__ void k_scale_##NAME(i64 n, const T* __restrict__ x, \
                    StridedLayout xl, float s) { }
            #define SA_K_ALL(T, NAME) SA_K(T, NAME)
            SA_K_ALL(float, f32)
            SA_K(bf16, bf16)
            extern "C" __global__ void __launch_bounds__(4 * 32) k_plain(int a, double b, u8* c) { }
            """;
        var signatures = KernelSignatures.Of(source);
        Assert.That(signatures.Keys, Is.EquivalentTo(new[] { "k_scale_f32", "k_scale_bf16", "k_plain" }));
        Assert.That(signatures["k_scale_bf16"].ParameterTypes, Is.EqualTo(new[] { "i64", "bf16*", "StridedLayout", "float" }));
        Assert.That(signatures["k_scale_f32"].ParameterSizes, Is.EqualTo(new[] { 8, 8, 136, 4 }));
        Assert.That(signatures["k_plain"].ParameterSizes, Is.EqualTo(new[] { 4, 8, 8 }));
    }

    /// <summary>Every launch entry exists in the CUBIN of its family, compiled with the options the launch names.</summary>
    [Test, Category("KernelCompile")]
    public void EveryLaunchedEntryPointExistsInItsCubin()
    {
        CudaTestSupport.RequireNvrtc();
        foreach (var module in Launches.Value.GroupBy(l => (l.Entry.Family, Options: string.Join(' ', l.Entry.Options ?? []))))
        {
            var options = module.First().Entry.Options is { Count: > 0 } extra ? [.. KernelCompiler.DefaultOptions, .. extra] : KernelCompiler.DefaultOptions;
            var compiled = KernelCompiler.Compile(module.Key.Family, "sm_80", options).Kernels.Select(k => k.Kernel).ToHashSet();
            var missing = module.Select(l => l.Entry.Name).Distinct().Where(name => !compiled.Contains(name)).ToList();
            Assert.That(missing, Is.Empty, $"entry points launched but not in the CUBIN of {module.Key.Family}.cu [{module.Key.Options}]");
        }
    }

    private sealed record RecordedLaunch(string Method, KernelEntry Entry, IReadOnlyList<int> Sizes);

    private sealed class RecordingLauncher : IKernelLauncher
    {
        public List<(KernelEntry Entry, KernelArgs Args)> Launches { get; } = [];

        public void Launch(KernelEntry kernel, LaunchConfig config, KernelArgs args) => Launches.Add((kernel, args));
    }

    private static IEnumerable<Type> LauncherTypes() =>
        typeof(KernelFamily).Assembly.GetTypes().Where(t => t.IsSubclassOf(typeof(KernelFamily)) && !t.IsAbstract);

    private static IEnumerable<MethodInfo> LaunchMethods(Type type) =>
        type.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly).Where(m => m.ReturnType == typeof(void));

    private static KernelFamily Create(Type type, IKernelLauncher launcher) => (KernelFamily)Activator.CreateInstance(type, launcher)!;

    private static string Describe(MethodInfo method) => $"{method.DeclaringType!.Name}.{method.Name}";

    private static string ClassNameOf(string family) =>
        string.Concat(family.Split('_').Select(part => char.ToUpperInvariant(part[0]) + part[1..])) + "Kernels";

    /// <summary>
    /// Calls every launch method of every launcher with every value of each enum and bool parameter (dtypes
    /// included) and a plain value for the rest; combinations a launcher refuses (an unsupported dtype) are skipped.
    /// </summary>
    private static IReadOnlyList<RecordedLaunch> RecordEveryLaunch()
    {
        var recorded = new List<RecordedLaunch>();
        foreach (var type in LauncherTypes())
            foreach (var method in LaunchMethods(type))
                foreach (var arguments in Combinations(method.GetParameters()))
                {
                    var launcher = new RecordingLauncher();
                    try
                    {
                        method.Invoke(Create(type, launcher), arguments);
                    }
                    catch (TargetInvocationException e) when (e.InnerException is NotSupportedException or ArgumentException)
                    {
                        continue;
                    }
                    recorded.AddRange(launcher.Launches.Select(l => new RecordedLaunch(Describe(method), l.Entry, l.Args.Sizes.ToArray())));
                }
        return recorded;
    }

    private static IEnumerable<object?[]> Combinations(ParameterInfo[] parameters)
    {
        IEnumerable<object?[]> combinations = [[]];
        foreach (var parameter in parameters)
        {
            var choices = Choices(parameter.ParameterType);
            combinations = combinations.SelectMany(prefix => choices.Select(choice => (object?[])[.. prefix, choice])).ToList();
        }
        return combinations;
    }

    private static object?[] Choices(Type type) =>
        type == typeof(bool) ? [false, true]
        : type.IsEnum ? Enum.GetValues(type).Cast<object?>().ToArray()
        : type == typeof(int) ? [64]
        : type == typeof(long) ? [64L]
        : type == typeof(uint) ? [64u]
        : type == typeof(ulong) ? [0x1000UL]
        : type == typeof(float) ? [0.5f]
        : type == typeof(double) ? [0.5]
        : type.IsValueType ? [Activator.CreateInstance(type)]
        : throw new InvalidOperationException($"launchers take plain values; {type.Name} is not one");
}
