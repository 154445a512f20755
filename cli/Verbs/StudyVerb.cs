using System.CommandLine;
using System.Text.Json;
using StyleAlign.Engine.Models.Qwen25VL;
using StyleAlign.Trainers.Study;
using StyleAlign.Trainers.Training;

namespace StyleAlign.Cli.Verbs;

/// <summary><c>engine-cli study</c>: every method at every nested data fraction, one table.</summary>
public sealed class StudyVerb : IVerb
{
    public Command Build()
    {
        var command = new Command("study", """
            Compare methods across data budgets: zero-shot once, then each training method at each nested fraction of
            the training split (same step count each), every cell trained from --weights and evaluated on the test
            split with the same judge (WR-LogP, Style-Acc, CLIPScore, distinct captions). Writes study.md, study.json
            and study.png to --out; finished cells are recorded under cells/, so --resume runs only the missing ones.
            Without --clip the judge is the built-in tiny CLIP with a style classifier trained on the data's captions.
            The defaults suit the built-in tiny models: a few steps per cell.

            Example:
              engine-cli study --weights tiny-qwen --data data/ --style humor --methods zero-shot,sft,simpo --fractions 10,100 --full --lr 1e-3
            """);
        var style = new Option<string>("--style") { Description = "The style trained toward and judged (the data's style field).", DefaultValueFactory = _ => "humor" };
        var methods = new Option<string>("--methods") { Description = $"Comma-separated: {string.Join(", ", StudyMethod.All.Select(m => m.Name))}.", DefaultValueFactory = _ => "zero-shot,sft,simpo" };
        var fractions = new Option<string>("--fractions") { Description = "Comma-separated percentages of the training split.", DefaultValueFactory = _ => "5,10,25,100" };
        var clip = new Option<string?>("--clip") { Description = "CLIP folder of the judge (default: the built-in tiny CLIP)." };
        var maxNew = new Option<int>("--max-new-tokens") { Description = "Length limit of the generated test captions.", DefaultValueFactory = _ => 24 }.Between(1, GenerationLimits.MaxNewTokens);
        var beta = new Option<double?>("--beta") { Description = "β of DPO, SimPO and CW-DPO (default: each method's)." }.Positive();
        var gammaRatio = new Option<double>("--gamma-beta-ratio") { Description = "SimPO γ/β.", DefaultValueFactory = _ => 0.5 }.NonNegative();
        var sftWeight = new Option<double>("--sft-weight") { Description = "Weight of SimPO's added chosen-caption NLL term (0: pure SimPO).", DefaultValueFactory = _ => 0.0 }.NonNegative();
        foreach (var o in new Option[] { style, methods, fractions, clip, maxNew, beta, gammaRatio, sftWeight }) command.Options.Add(o);
        var common = new CommonOptions(TrainingMethod.SimPo);
        common.Data.Description = "Dataset folder with train.jsonl, validation.jsonl and test.jsonl (as `dataset synth` and `dataset import` write them).";
        common.Out.DefaultValueFactory = _ => Path.Combine("runs", "study");
        common.MaxSteps.DefaultValueFactory = _ => 20;
        common.MaxSteps.Description = "Optimizer steps of every trained cell (0: from --epochs over the whole training split).";
        common.Lr.Description = "Peak learning rate of every method (default: each method's own).";
        common.AddTo(command);
        command.SetAction(parse =>
        {
            var chosen = parse.GetValue(methods)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(name => StudyMethod.Find(name) ?? throw new UsageException($"--methods: '{name}' is not one of: {string.Join(", ", StudyMethod.All.Select(m => m.Name))}"))
                .Distinct().ToList();
            if (chosen.Count == 0) throw new UsageException("--methods: no method given");
            var recipe = common.Recipe(parse) with
            {
                DataPath = "",
                Beta = parse.GetValue(beta),
                GammaBetaRatio = parse.GetValue(gammaRatio),
                SftWeight = parse.GetValue(sftWeight),
            };
            var options = new StudyOptions
            {
                DataDirectory = parse.GetValue(common.Data)!,
                Style = parse.GetValue(style)!,
                Methods = chosen,
                Percents = SweepVerb.Percents(parse.GetValue(fractions)!).Distinct().ToList(),
                // 0 lets each method take its own default rate.
                Template = recipe with { Trainer = recipe.Trainer with { LearningRate = parse.GetValue(common.Lr) ?? 0 } },
                OutputDirectory = parse.GetValue(common.Out)!,
                ClipPath = parse.GetValue(clip),
                MaxNewTokens = parse.GetValue(maxNew),
                Resume = parse.GetValue(common.Resume),
                Log = parse.GetValue(common.Quiet) ? TextWriter.Null : parse.InvocationConfiguration.Output,
            };
            common.PrepareRunFolder(parse);
            CliErrors.AsUsage(() => StudyRunner.CheckFolder(options));
            if (!Directory.Exists(options.DataDirectory))
                throw new DirectoryNotFoundException($"--data '{options.DataDirectory}': no such folder (it holds train.jsonl, validation.jsonl and test.jsonl)");
            var result = StudyRunner.Run(options);
            var output = parse.InvocationConfiguration.Output;
            output.WriteLine(StudyReport.Markdown(result.Rows));
            output.WriteLine($"study folder: {result.RunDirectory} ({StudyReport.MarkdownFileName}, {StudyReport.JsonFileName}, {StudyReport.PlotFileName}); {result.CellsRun} cell(s) run now, {result.Rows.Count} in the table");
            if (parse.GetValue(common.Json))
                output.WriteLine(JsonSerializer.Serialize(JsonDocument.Parse(StudyReport.Json(result.Rows)).RootElement));
            return result.Complete ? ExitCodes.Ok : ExitCodes.Failure;
        });
        return command;
    }
}
