using System.CommandLine;
using StyleAlign.Cli;

namespace StyleAlign.Tests.Fuzz;

/// <summary>
/// Command lines that make no sense: a numeric flag of any verb set to NaN, an infinity, a number out of its type or
/// no number at all; unknown flags and verbs, missing values, contradicting flags, a non-empty run folder. Each must
/// be one error line naming the flag, ending with a hint to --help, exit code 2 — before any file is read. Flags set
/// to ordinary numbers (which may or may not be in range) on verbs whose data is missing must be refused either as
/// usage (exit 2, naming the flag) or for the missing data (exit 1, naming the file), never accepted.
/// </summary>
internal sealed class CommandLineFuzz : IFuzzTarget
{
    private static readonly string[] NeverValid = ["nan", "NaN", "inf", "-Infinity", "1e400", "-1e400", "x", "", "0x10", "1,5", "--"];
    private static readonly string[] Ordinary = ["-1", "0", "1", "2", "0.5", "-0.0", "1e9", "65537", "2147483648"];

    /// <summary>Verbs whose required inputs, when missing, stop them before any work (so an accepted flag cannot start a long run).</summary>
    private static readonly HashSet<string> NeedInputs =
        ["sft", "dpo", "simpo", "cwdpo", "sweep", "study", "eval", "generate", "forward", "inspect", "merge", "classifier train", "classifier eval", "clip train", "init-random", "bench model-forward", "bench train-step"];

    private readonly List<(string Path, Command Command, Option Option)> _numeric = [];
    private readonly List<(string Path, Command Command)> _verbs = [];

    public CommandLineFuzz()
    {
        Walk(CliApp.BuildRoot(), "");
    }

    public string Kind => "command-line";

    private void Walk(Command command, string path)
    {
        if (path.Length > 0 && command.Action is not null) _verbs.Add((path, command));
        foreach (var option in command.Options)
            if (path.Length > 0 && IsNumeric(option.ValueType)) _numeric.Add((path, command, option));
        foreach (var sub in command.Subcommands) Walk(sub, path.Length == 0 ? sub.Name : $"{path} {sub.Name}");
    }

    internal static bool IsNumeric(Type type) =>
        (Nullable.GetUnderlyingType(type) ?? type) is var t && (t == typeof(int) || t == typeof(long) || t == typeof(ulong) || t == typeof(double) || t == typeof(float));

    public FuzzCase Generate(Random rng, string folder)
    {
        switch (rng.Next(10))
        {
            case < 5:
            {
                var (path, command, option) = rng.Pick(_numeric);
                string value = rng.Pick(NeverValid);
                string[] args = [.. path.Split(' '), .. Required(command, folder, option), option.Name, value];
                return FuzzCase.Command($"{path} {option.Name} '{value}'", Expect.Refuse, new VerbCommand(args, Usage: true, Flag: option.Name), [option.Name]);
            }
            case < 8:
            {
                var candidates = _numeric.Where(n => NeedInputs.Contains(n.Path)).ToList();
                var (path, command, option) = rng.Pick(candidates);
                string value = rng.Pick(Ordinary);
                string[] args = [.. path.Split(' '), .. Required(command, folder, option), option.Name, value];
                return FuzzCase.Command($"{path} {option.Name} {value} (inputs missing)", Expect.Refuse, new VerbCommand(args, Usage: null, Flag: option.Name), []);
            }
            default:
                return Nonsense(rng, folder);
        }
    }

    /// <summary>Command lines that cannot make sense whatever the files hold.</summary>
    private FuzzCase Nonsense(Random rng, string folder)
    {
        var (path, command) = rng.Pick(_verbs.Where(v => NeedInputs.Contains(v.Path)).ToList());
        string[] required = Required(command, folder, null);
        string[] verb = path.Split(' ');
        switch (rng.Next(6))
        {
            case 0:
                return Usage($"{path} with an unknown flag", [.. verb, .. required, "--no-such-flag", "1"], "--no-such-flag");
            case 1:
                var missing = command.Options.FirstOrDefault(o => o.Required);
                if (missing is null) goto case 0;
                return Usage($"{path} without {missing.Name}", [.. verb, .. Required(command, folder, missing, skip: true)], missing.Name);
            case 2:
                return Usage("an unknown verb", ["no-such-verb", .. required], "no-such-verb");
            case 3:
                var last = command.Options.FirstOrDefault(o => o.ValueType != typeof(bool) && o.Name != "--help");
                if (last is null) goto case 0;
                return Usage($"{path} {last.Name} without its value", [.. verb, .. Required(command, folder, last), last.Name], last.Name);
            case 4:
                if (!command.Options.Any(o => o.Name == "--resume")) goto case 0;
                return Usage($"{path} --resume --force", [.. verb, .. required, "--resume", "--force"], "--resume");
            default:
                if (!command.Options.Any(o => o.Name == "--resume")) goto case 0;
                string run = Path.Combine(folder, "existing-run");
                Directory.CreateDirectory(run);
                File.WriteAllText(Path.Combine(run, "metrics.jsonl"), "{\"step\": 1}\n");
                return Usage($"{path} into a non-empty --out", [.. verb, .. Required(command, folder, null), "--out", run], "--out");
        }
    }

    private static FuzzCase Usage(string mutation, string[] args, string flag) =>
        FuzzCase.Command(mutation, Expect.Refuse, new VerbCommand(args, Usage: true, Flag: flag), [flag]);

    /// <summary>Values for the verb's required options (paths that do not exist), except <paramref name="except"/>. A verb
    /// that takes its model from --weights or --config (neither required alone) gets --weights.</summary>
    private static string[] Required(Command command, string folder, Option? except, bool skip = false) =>
        command.Options.Where(o => (o.Required || o.Name == "--weights") && o != except && !(skip && o == except))
            .SelectMany(o => new[] { o.Name, o.Name == "--style" ? "humor" : Path.Combine(folder, "missing" + o.Name) })
            .Concat(command.Arguments.SelectMany(a => new[] { Path.Combine(folder, "missing-" + a.Name) }))
            .ToArray();
}
