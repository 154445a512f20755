using System.CommandLine;
using System.Text.Json;
using Spectre.Console;
using StyleAlign.Engine.Core;
using StyleAlign.Trainers.Demo;
using StyleAlign.Trainers.Training;

namespace StyleAlign.Cli.Verbs;

/// <summary>engine-cli demo: the whole job on the built-in tiny models and synthetic data, in a few minutes on a CPU.</summary>
public sealed class DemoVerb : IVerb
{
    public Command Build()
    {
        var style = new Option<string>("--style") { Description = "humor or romantic", DefaultValueFactory = _ => "humor" };
        var method = new Option<string>("--method") { Description = "sft, dpo, simpo or cwdpo", DefaultValueFactory = _ => "simpo" };
        var output = new Option<string>("--out") { Description = "Run folder", DefaultValueFactory = _ => Path.Combine("runs", "demo") };
        var steps = new Option<int>("--steps") { Description = "Preference-training steps", DefaultValueFactory = _ => new DemoOptions().PreferenceSteps }.AtLeast(1);
        var warmup = new Option<int>("--warmup-steps") { Description = "SFT warm-up steps on factual captions", DefaultValueFactory = _ => new DemoOptions().WarmupSteps }.AtLeast(1);
        var seed = new Option<ulong>("--seed") { DefaultValueFactory = _ => new DemoOptions().Seed }.AnyValue();
        var images = new Option<int>("--images") { Description = "Training images of the synthetic dataset (validation and test get a quarter each)", DefaultValueFactory = _ => new DemoOptions().TrainImages }.AtLeast(1);
        var quiet = new Option<bool>("--quiet") { Description = "No progress display" };
        var json = new Option<bool>("--json") { Description = "Print {\"wr_logp_before\", \"wr_logp_after\", \"style_acc_before\", \"style_acc_after\", \"object_accuracy_before\", \"object_accuracy_after\", \"distinct_before\", \"distinct_after\", \"clipscore_before\", \"clipscore_after\", \"classifier_ceiling\", \"seconds\", \"run_dir\"} as the last line" };
        var command = new Command("demo", """
            Run the whole job on built-in data: create the tiny Qwen2.5-VL and tiny CLIP, generate the synthetic style
            dataset, train the CLIP style classifier, run an SFT warm-up on factual captions, then train toward the
            style, and evaluate WR-LogP and Style-Acc before and after. Writes metrics, plots, the checkpoint and
            report.md to the run folder. Nothing is downloaded.

            Examples:
              engine-cli demo
              engine-cli demo --style romantic --method dpo --out runs/romantic
            """);
        foreach (var o in new Option[] { style, method, output, steps, warmup, seed, images, quiet, json }) command.Options.Add(o);
        var placement = new PlacementOptions(command);
        command.SetAction(parse =>
        {
            var styleName = parse.GetValue(style)!;
            if (styleName is not ("humor" or "romantic")) throw new UsageException($"--style {styleName} is not one of: humor, romantic");
            var trainingMethod = parse.GetValue(method) switch
            {
                "sft" => TrainingMethod.Sft,
                "dpo" => TrainingMethod.Dpo,
                "simpo" => TrainingMethod.SimPo,
                "cwdpo" => TrainingMethod.CwDpo,
                var other => throw new UsageException($"--method {other} is not one of: sft, dpo, simpo, cwdpo"),
            };
            var dev = placement.Parse(parse).Device;
            var options = new DemoOptions
            {
                Style = styleName,
                Method = trainingMethod,
                OutputDirectory = parse.GetValue(output)!,
                PreferenceSteps = parse.GetValue(steps),
                WarmupSteps = parse.GetValue(warmup),
                Seed = parse.GetValue(seed),
                Device = dev,
                TrainImages = Math.Max(4, parse.GetValue(images)),
                ValidationImages = Math.Max(2, parse.GetValue(images) / 4),
                TestImages = Math.Max(2, parse.GetValue(images) / 4),
            };
            var interactive = !parse.GetValue(quiet) && !Console.IsOutputRedirected;
            DemoResult result;
            if (interactive)
            {
                result = null!;
                AnsiConsole.Status().Spinner(Spinner.Known.Dots).Start("starting", ctx =>
                {
                    var started = DateTime.UtcNow;
                    result = DemoPipeline.Run(options, message =>
                    {
                        AnsiConsole.MarkupLine($"[grey]{(DateTime.UtcNow - started).TotalSeconds,5:F0} s[/]  {Markup.Escape(message)}");
                        ctx.Status(Markup.Escape(message));
                    });
                });
            }
            else
            {
                result = DemoPipeline.Run(options, message => { if (!parse.GetValue(quiet)) Console.WriteLine(message); });
            }
            PrintTable(result, options);
            if (parse.GetValue(json))
                Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object?>
                {
                    ["wr_logp_before"] = Math.Round(result.WrLogPBefore, 2),
                    ["wr_logp_after"] = Math.Round(result.WrLogPAfter, 2),
                    ["style_acc_before"] = Math.Round(result.StyleAccBefore, 2),
                    ["style_acc_after"] = Math.Round(result.StyleAccAfter, 2),
                    ["object_accuracy_before"] = Round(result.ContentBefore.ObjectAccuracy),
                    ["object_accuracy_after"] = Round(result.ContentAfter.ObjectAccuracy),
                    ["distinct_before"] = Math.Round(result.ContentBefore.DistinctCaptions, 2),
                    ["distinct_after"] = Math.Round(result.ContentAfter.DistinctCaptions, 2),
                    ["clipscore_before"] = Round(result.ContentBefore.ClipScore, 4),
                    ["clipscore_after"] = Round(result.ContentAfter.ClipScore, 4),
                    ["classifier_ceiling"] = Math.Round(result.ClassifierCeiling, 2),
                    ["seconds"] = Math.Round(result.Seconds, 1),
                    ["run_dir"] = result.RunDirectory,
                }));
            return ExitCodes.Ok;
        });
        return command;
    }

    private static double? Round(double? value, int digits = 2) => value is { } v ? Math.Round(v, digits) : null;

    private static void PrintTable(DemoResult r, DemoOptions o)
    {
        var table = new Table().Title($"{DemoPipeline.MethodName(o.Method)} toward {o.Style} (test split)");
        table.AddColumns("metric", "before", "after SFT warm-up", "after");
        table.AddRow("WR-LogP %", $"{r.WrLogPBefore:F1}", $"{r.WrLogPAfterWarmup:F1}", $"{r.WrLogPAfter:F1}");
        table.AddRow("Style-Acc %", $"{r.StyleAccBefore:F1}", "", $"{r.StyleAccAfter:F1}");
        table.AddRow("classifier ceiling %", $"{r.ClassifierCeiling:F1}", "", "");
        table.AddRow("object accuracy %", $"{r.ContentBefore.ObjectAccuracy:F1}", "", $"{r.ContentAfter.ObjectAccuracy:F1}");
        table.AddRow("distinct captions %", $"{r.ContentBefore.DistinctCaptions:F1}", "", $"{r.ContentAfter.DistinctCaptions:F1}");
        table.AddRow("CLIPScore (0-2.5)", $"{r.ContentBefore.ClipScore:F3}", "", $"{r.ContentAfter.ClipScore:F3}");
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Out) });
        console.Write(table);
        Console.WriteLine($"run folder: {r.RunDirectory} (report.md, metrics.jsonl, metrics.png, aligned-model/) — {r.Seconds:F0} s");
    }
}
