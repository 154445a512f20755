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
        var limit = new Option<int>("--limit") { Description = "Evaluate at most this many examples (0 = all)", DefaultValueFactory = _ => 0 }.AtLeast(0);
        var maxNew = new Option<int>("--max-new-tokens") { Description = "Length limit of generated captions", DefaultValueFactory = _ => 32 }.Between(1, GenerationLimits.MaxNewTokens);
        var records = new Option<string?>("--records") { Description = "Per-example JSONL output (default: beside the data, eval-records.jsonl)" };
        var json = new Option<bool>("--json") { Description = "Print {\"n\", \"wr_logp\", \"style_acc\", \"classifier_ceiling\"} and, with a classifier, the content keys (clipscore, refclipscore, distinct, distinct_2, object_accuracy, mode_collapse) as the last line" };
        var skipBad = new Option<bool>("--skip-bad") { Description = "Skip malformed lines and missing images, counting them" };
        var command = new Command("eval", """
            Judge a model's style: WR-LogP (how often the stylized caption has a higher mean token log-prob than the
            factual one, strict >, in percent — the project's reading, a PROPOSAL, see docs/objectives.md), Style-Acc (generated captions
            the CLIP-embedding classifier judges stylized) and the classifier's accuracy on reference captions; with a
            classifier, also the content of the greedily decoded captions: CLIPScore (2.5 * max(cos, 0), 0-2.5) against
            the image, RefCLIPScore against the factual caption, distinct captions and distinct-2 (%), object accuracy
            (% of images whose caption names every "colour shape" of the factual caption; synthetic data only) and a
            mode-collapse flag when fewer than half the captions are distinct.
            Works on an unaligned model too: the prompt's style instruction is the zero-shot baseline.

            Example:
              engine-cli eval --weights run/merged --data data/test.jsonl --classifier clf/ --clip tiny-clip --json
            """);
        foreach (var o in new Option[] { weights, data, classifier, clip, style, limit, maxNew, records, json, skipBad, VerbSupport.AllowOutsidePaths() }) command.Options.Add(o);
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
            var collator = new PreferenceCollator(session.Tokenizer, session.Processor);
            examples = SequenceBudget.Fit(examples, collator, session.Model.Config.Text.MaxPositionEmbeddings, parse.GetValue(skipBad), message => CliErrors.Warn(parse, message));
            var qwen = new QwenCaptionModel(session.Model, collator, new GenerationOptions { MaxNewTokens = parse.GetValue(maxNew) });
            using var judge = classifierPath is null ? null : ClipStyleJudge.Open(clipPath!, classifierPath, null, place.Device);
            var result = StyleEvaluator.Evaluate(examples, qwen, judge is null ? null : qwen, judge, contentClip: judge?.Embeddings);
            var recordsPath = parse.GetValue(records) ?? Path.Combine(Path.GetDirectoryName(Path.GetFullPath(dataPath))!, "eval-records.jsonl");
            StyleEvaluationJson.WriteRecords(recordsPath, result.Records);
            var s = result.Summary;
            Console.WriteLine($"n {s.N}   WR-LogP {Percent(s.WrLogP)}   Style-Acc {Percent(s.StyleAcc)}   classifier ceiling {Percent(s.ClassifierCeiling)}");
            if (result.Content is { } content)
            {
                Console.WriteLine($"content: CLIPScore {Score(content.ClipScore)}   RefCLIPScore {Score(content.RefClipScore)}   distinct captions {Percent(content.DistinctCaptions)}   distinct-2 {Percent(content.Distinct2)}   object accuracy {Percent(content.ObjectAccuracy)}");
                if (content.ModeCollapse)
                    Console.WriteLine($"mode collapse: fewer than {ContentMetrics.ModeCollapseThreshold:F0}% of the generated captions are distinct");
            }
            Console.WriteLine($"per-example records: {recordsPath}");
            if (parse.GetValue(json)) Console.WriteLine(StyleEvaluationJson.SummaryWithContent(s, result.Content));
            return ExitCodes.Ok;
        });
        return command;
    }

    private static string Percent(double? value) => value is { } v ? $"{v:F1}%" : "—";

    private static string Score(double? value) => value is { } v ? $"{v:F3}" : "—";
}
