using System.CommandLine;
using System.Globalization;
using StyleAlign.Trainers.Data;
using StyleAlign.Trainers.Data.Import;

namespace StyleAlign.Cli.Verbs;

/// <summary><c>engine-cli dataset import newyorker|flickrstyle</c>: the study's public datasets in the project's JSONL layout.</summary>
internal static class DatasetImportCommand
{
    public static Command Build()
    {
        var import = new Command("import", """
            Import a public style-captioning dataset into the layout 'dataset synth' writes: images/, captions.jsonl,
            train.jsonl, validation.jsonl and test.jsonl (chosen = stylized caption, rejected = factual caption).
            """);
        import.Subcommands.Add(BuildNewYorker());
        import.Subcommands.Add(BuildFlickrStyle());
        return import;
    }

    private static Option<string> OutOption() => new("--out") { Description = "Folder to write the dataset into.", Required = true };

    private static Option<bool> ForceOption() => new("--force") { Description = "Write into a non-empty folder (entries of the same name are replaced)." };

    private static Option<bool> SkipBadOption() => new("--skip-bad") { Description = "Skip rows with a problem (missing image, empty caption, …) and count them, instead of stopping at the first." };

    private static Command BuildNewYorker()
    {
        var from = new Option<string>("--from") { Description = "Download folder of jmhessel/newyorker_caption_contest (holding explanation/*.parquet).", Required = true };
        var output = OutOption();
        var force = ForceOption();
        var skipBad = SkipBadOption();
        var command = new Command("newyorker", """
            Import the New Yorker Caption Contest (Hugging Face jmhessel/newyorker_caption_contest, config 'explanation'):
            image_description is the factual caption, caption_choices the humorous one; the published
            train/validation/test splits are kept.

            Examples:
              engine-cli dataset import newyorker --from newyorker_caption_contest --out data/newyorker
              engine-cli dataset import newyorker --from ~/hf/newyorker_caption_contest --out data/nyc --skip-bad
            """);
        foreach (Option option in new Option[] { from, output, force, skipBad }) command.Options.Add(option);
        command.SetAction(parse =>
        {
            var outFolder = CheckOutput(parse.GetValue(output)!, parse.GetValue(force));
            var summary = NewYorkerImporter.Import(parse.GetValue(from)!, outFolder, parse.GetValue(skipBad));
            Print(summary, parse.InvocationConfiguration.Output);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command BuildFlickrStyle()
    {
        var from = new Option<string>("--from") { Description = "FlickrStyle10k folder (humor/funny_train.txt, humor/train.p, romantic/romantic_train.txt, romantic/train.p).", Required = true };
        var flickr30k = new Option<string>("--flickr30k") { Description = "Flickr30k folder: results_20130124.token and the images (flickr30k-images/).", Required = true };
        var style = new Option<string?>("--style") { Description = "Import only humor or romantic (default: both)." };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the split by image (test 1/7, validation 6/70, train the rest).", DefaultValueFactory = _ => new FlickrStyleImportOptions().Seed }.AnyValue();
        var output = OutOption();
        var force = ForceOption();
        var skipBad = SkipBadOption();
        var command = new Command("flickrstyle", """
            Import FlickrStyle10k 0.9 with Flickr30k: the stylized captions and their image names (train.p) from
            FlickrStyle10k, the factual caption (the first of five) and the image from Flickr30k. The 7 000 images are
            split by image into 5 400 / 600 / 1 000, deterministically for a given --seed.

            Examples:
              engine-cli dataset import flickrstyle --from FlickrStyle_v0.9 --flickr30k flickr30k --out data/flickrstyle
              engine-cli dataset import flickrstyle --from FlickrStyle_v0.9 --flickr30k flickr30k --out data/romantic --style romantic
            """);
        foreach (Option option in new Option[] { from, flickr30k, output, style, seed, force, skipBad }) command.Options.Add(option);
        command.SetAction(parse =>
        {
            var styleName = parse.GetValue(style);
            if (styleName is not (null or SyntheticCaptions.Humor or SyntheticCaptions.Romantic))
                throw new UsageException($"--style {styleName} is not one of: {SyntheticCaptions.Humor}, {SyntheticCaptions.Romantic}");
            var outFolder = CheckOutput(parse.GetValue(output)!, parse.GetValue(force));
            var options = new FlickrStyleImportOptions { Style = styleName, Seed = parse.GetValue(seed), SkipBad = parse.GetValue(skipBad) };
            var summary = FlickrStyleImporter.Import(parse.GetValue(from)!, parse.GetValue(flickr30k)!, outFolder, options);
            Print(summary, parse.InvocationConfiguration.Output);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static string CheckOutput(string outFolder, bool force) =>
        StagedOutput.IsNonEmptyFolder(outFolder) && !force
            ? throw new UsageException($"output folder '{outFolder}' is not empty; pass --force to write into it anyway")
            : outFolder;

    /// <summary>One line of counts, then one line per kind of skipped row (with the first instance) and per note.</summary>
    internal static void Print(ImportSummary summary, TextWriter output)
    {
        var c = CultureInfo.InvariantCulture;
        string PerSplit(IReadOnlyDictionary<string, int> counts) => string.Join(" / ", DataSplits.All.Select(s => string.Format(c, "{0} {1}", counts[s], s)));
        output.WriteLine(string.Format(c, "{0}: kept {1} pairs ({2}) over {3} images ({4}); skipped {5} -> {6}",
            summary.Dataset, summary.TotalPairs, PerSplit(summary.PairsPerSplit), summary.TotalImages, PerSplit(summary.ImagesPerSplit),
            summary.Skipped.Count, summary.OutputDirectory));
        foreach (var group in summary.Skipped.GroupBy(s => s.Kind))
            output.WriteLine(string.Format(c, "  skipped {0} x {1} (first: {2})", group.Count(), group.Key, group.First().Error.Message));
        foreach (var note in summary.Notes) output.WriteLine($"  note: {note}");
    }
}
