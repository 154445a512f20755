using System.CommandLine;
using StyleAlign.Engine.IO;
using StyleAlign.Engine.IO.Config;
using StyleAlign.Engine.Models;
using StyleAlign.Engine.Models.Clip;
using StyleAlign.Engine.Models.Qwen25VL;

namespace StyleAlign.Cli.Verbs;

/// <summary>engine-cli inspect --weights W: keys, shapes, dtypes, parameter count, and what the config's model lacks or does not use.</summary>
public sealed class InspectVerb : IVerb
{
    public Command Build()
    {
        var weights = VerbSupport.Weights();
        var all = new Option<bool>("--all") { Description = "List every tensor (default: the first 40)" };
        var command = new Command("inspect", "Show a checkpoint's tensors and check them against the model its config.json names.\n\nExample:\n  engine-cli inspect --weights Qwen2.5-VL-3B-Instruct/");
        command.Options.Add(weights);
        command.Options.Add(all);
        command.Options.Add(VerbSupport.AllowOutsidePaths());
        command.SetAction(parse =>
        {
            var path = parse.GetValue(weights)!;
            using (var checkpoint = SafetensorsCheckpoint.Open(path))
            {
                var entries = checkpoint.Entries.Values.OrderBy(e => e.Name, StringComparer.Ordinal).ToList();
                var shown = parse.GetValue(all) ? entries : entries.Take(40).ToList();
                foreach (var e in shown) Console.WriteLine($"{e.Name,-64} {e.DType.ToHeaderName(),-5} {e.ShapeText}");
                if (shown.Count < entries.Count) Console.WriteLine($"… {entries.Count - shown.Count} more (--all lists them)");
                var parameters = entries.Sum(e => e.ElementCount);
                var dtypes = string.Join(", ", entries.GroupBy(e => e.DType).Select(g => $"{g.Key.ToHeaderName()}×{g.Count()}"));
                Console.WriteLine($"{entries.Count} tensors, {parameters:N0} elements ({dtypes}), {checkpoint.Files.Count} file(s)");
            }
            var folder = Qwen25VLModel.ConfigFolder(path);
            var modelType = HfConfig.ReadModelType(folder);
            if (!StructuralChecks.TryGetValue(modelType, out var inspect))
            {
                Console.WriteLine($"model_type '{modelType}': no structural check for this model type here");
                return ExitCodes.Ok;
            }
            var (missing, unexpected, mismatched, tensorCount, parameterCount) = inspect(path);
            Console.WriteLine($"{modelType}: the model needs {tensorCount} tensors, {parameterCount:N0} parameters");
            Console.WriteLine($"missing: {missing.Count}{List(missing)}");
            Console.WriteLine($"unexpected: {unexpected.Count}{List(unexpected)}");
            Console.WriteLine($"shape mismatch: {mismatched.Count}{List(mismatched)}");
            if (missing.Count + unexpected.Count + mismatched.Count > 0)
            {
                // The error names the tensors too (as detail lines under it): stdout may be piped elsewhere.
                var details = string.Concat(new[] { ("missing", missing), ("unexpected", unexpected), ("mis-shaped", mismatched) }
                    .Where(group => group.Item2.Count > 0).Select(group => $"\n{group.Item1} ({group.Item2.Count}):{List(group.Item2)}"));
                throw new InvalidInputException($"{Path.GetFullPath(path)}: the checkpoint does not match the {modelType} model its config.json describes ({missing.Count} missing, {unexpected.Count} unexpected, {mismatched.Count} mis-shaped tensors){details}");
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>Per model_type, what the checkpoint lacks or holds in excess for the model its config describes.</summary>
    private static readonly Dictionary<string, Func<string, CheckpointMatch>> StructuralChecks = new(StringComparer.Ordinal)
    {
        [Qwen25VLConfig.ModelType] = Qwen25VLModel.Inspect,
        ["clip"] = path => ClipModel.Inspect(Qwen25VLModel.ConfigFolder(path)),
    };

    private static string List(IReadOnlyList<string> items) => items.Count == 0 ? "" : "\n  " + string.Join("\n  ", items.Take(50));
}
