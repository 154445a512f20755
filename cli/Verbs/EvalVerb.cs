using System.CommandLine;
using StyleAlign.Engine.Models.Qwen25VL;
using StyleAlign.Trainers.Batching;
using StyleAlign.Trainers.Data;
using StyleAlign.Trainers.Evaluation;
using StyleAlign.Trainers.Training;

namespace StyleAlign.Cli.Verbs;

/// <summary>
/// engine-cli eval --weights VLM --data test.jsonl [--classifier clf/ --clip DIR] [--json]: WR-LogP of the
/// stylized over the factual caption, Style-Acc of generated captions, and the classifier's ceiling.
/// </summary>
public sealed class EvalVerb : IVerb
{
    public Command Build()
    {
        var weights = VerbSupport.Weights();
        var data = new Option<string>("--data") { Description = "Preference JSONL: chosen = stylized, rejected = factual", Required = true };
        var classifier = new Option<string?>("--classifier") { Description = "Style classifier folder (enables Style-Acc and the ceiling)" };
        var clip = new Option<string?>("--clip") { Description = "CLIP folder the classifier was trained on" };
        var style = new Option<string?>("--style") { Description = "Only examples of this style" };
        var limit = new Option<int>("--limit") { Description = "Evaluate at most this many examples (0 = all)", DefaultValueFactory = _ => 0 };
        var maxNew = new Option<int>("--max-new-tokens") { Description = "Length limit of generated captions", DefaultValueFactory = _ => 32 };
        var records = new Option<string?>("--records") { Description = "Per-example JSONL output (default: beside the data, eval-records.jsonl)" };
        var json = new Option<bool>("--json") { Description = "Print {\"n\", \"wr_logp\", \"style_acc\", \"classifier_ceiling\"} as the last line" };
        var skipBad = new Option<bool>("--skip-bad") { Description = "Skip malformed lines and missing images, counting them" };
        var command = new Command("eval", """
            Judge a model's style: WR-LogP (how often the stylized caption has a higher mean token log-prob than the
            factual one, strict >, in percent — the project's reading, a PROPOSAL, see docs/objectives.md), Style-Acc (generated captions
            the CLIP-embedding classifier judges stylized) and the classifier's accuracy on reference captions.
            Works on an unaligned model too: the prompt's style instruction is the zero-shot baseline.

            Example:
              engine-cli eval --weights run/merged --data data/test.jsonl --classifier clf/ --clip tiny-clip --json
            """);
        foreach (var o in new Option[] { weights, data, classifier, clip, style, limit, maxNew, records, json, skipBad }) command.Options.Add(o);
        var placement = new PlacementOptions(command);
        command.SetAction(parse =>
        {
            var classifierPath = parse.GetValue(classifier);
            var clipPath = parse.GetValue(clip);
            if ((classifierPath is null) != (clipPath is null)) throw new UsageException("--classifier and --clip go together");
            var dataPath = parse.GetValue(data)!;
            var examples = PreferenceDataset.Load(dataPath, DataLoadOptions.Preference with { SkipBad = parse.GetValue(skipBad), Style = parse.GetValue(style) }).Examples;
            if (parse.GetValue(limit) > 0) examples = examples.Take(parse.GetValue(limit)).ToList();
            var place = placement.Parse(parse);
            var session = CaptionSession.Load(parse.GetValue(weights)!, place);
            var qwen = new QwenCaptionModel(session.Model, new PreferenceCollator(session.Tokenizer, session.Processor), new GenerationOptions { MaxNewTokens = parse.GetValue(maxNew) });
            using var judge = classifierPath is null ? null : ClipStyleJudge.Open(clipPath!, classifierPath, null, place.Device);
            var result = StyleEvaluator.Evaluate(examples, qwen, judge is null ? null : qwen, judge);
            var recordsPath = parse.GetValue(records) ?? Path.Combine(Path.GetDirectoryName(Path.GetFullPath(dataPath))!, "eval-records.jsonl");
            StyleEvaluationJson.WriteRecords(recordsPath, result.Records);
            var s = result.Summary;
            Console.WriteLine($"n {s.N}   WR-LogP {Percent(s.WrLogP)}   Style-Acc {Percent(s.StyleAcc)}   classifier ceiling {Percent(s.ClassifierCeiling)}");
            Console.WriteLine($"per-example records: {recordsPath}");
            if (parse.GetValue(json)) Console.WriteLine(StyleEvaluationJson.Summary(s, indented: false));
            return ExitCodes.Ok;
        });
        return command;
    }

    private static string Percent(double? value) => value is { } v ? $"{v:F1}%" : "—";
}
