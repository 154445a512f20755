using System.CommandLine;
using System.Globalization;
using StyleAlign.Trainers.Data;

namespace StyleAlign.Cli.Verbs;

/// <summary><c>engine-cli dataset synth</c>: writes the built-in synthetic style dataset.</summary>
public sealed class DatasetVerb : IVerb
{
    public Command Build()
    {
        var defaults = new SyntheticOptions();
        var outOption = new Option<string>("--out") { Description = "Folder to write the dataset into.", Required = true };
        var seedOption = new Option<ulong>("--seed") { Description = "Generator seed; the same seed writes identical files.", DefaultValueFactory = _ => defaults.Seed }.AnyValue();
        var trainOption = new Option<int>("--train") { Description = "Training images.", DefaultValueFactory = _ => defaults.TrainCount }.AtLeast(1);
        var validationOption = new Option<int>("--validation") { Description = "Validation images.", DefaultValueFactory = _ => defaults.ValidationCount }.AtLeast(0);
        var testOption = new Option<int>("--test") { Description = "Test images.", DefaultValueFactory = _ => defaults.TestCount }.AtLeast(0);
        var sizeOption = new Option<int>("--size") { Description = "Image side in pixels.", DefaultValueFactory = _ => defaults.ImageSize }.Between(16, 1024); // the generator's own bounds (SyntheticOptions.Validate)
        var styleOption = new Option<string[]>("--style")
        {
            Description = $"Styles to write (repeatable): {string.Join(", ", SyntheticCaptions.Styles)}. Default: all.",
            AllowMultipleArgumentsPerToken = true,
        }.NoFlagValues();
        var forceOption = new Option<bool>("--force") { Description = "Write into a folder that is not empty (files of the same name are replaced)." };

        var synth = new Command("synth", "Generate the synthetic style dataset (shapes with factual, humorous and romantic captions).");
        foreach (Option option in new Option[] { outOption, seedOption, trainOption, validationOption, testOption, sizeOption, styleOption, forceOption })
            synth.Options.Add(option);

        synth.SetAction(parseResult =>
        {
            string outDir = parseResult.GetValue(outOption)!;
            var options = new SyntheticOptions
            {
                Seed = parseResult.GetValue(seedOption),
                TrainCount = parseResult.GetValue(trainOption),
                ValidationCount = parseResult.GetValue(validationOption),
                TestCount = parseResult.GetValue(testOption),
                ImageSize = parseResult.GetValue(sizeOption),
            };
            string[]? styles = parseResult.GetValue(styleOption);
            if (styles is { Length: > 0 }) options = options with { Styles = styles };
            return RunSynth(outDir, options, parseResult.GetValue(forceOption), parseResult.InvocationConfiguration.Output);
        });

        var dataset = new Command("dataset", "Create and inspect datasets.");
        dataset.Subcommands.Add(synth);
        dataset.Subcommands.Add(DatasetImportCommand.Build());
        return dataset;
    }

    internal static int RunSynth(string outDir, SyntheticOptions options, bool force, TextWriter output)
    {
        if (Directory.Exists(outDir) && Directory.EnumerateFileSystemEntries(outDir).Any() && !force)
            throw new UsageException($"output folder '{outDir}' is not empty; pass --force to write into it anyway");
        CliErrors.AsUsage(options.Validate);

        var summary = SyntheticStyleDataset.Generate(outDir, options);
        output.WriteLine(string.Format(CultureInfo.InvariantCulture,
            "synth: {0} images ({1} train / {2} validation / {3} test), {4} pairs [{5}], {6}x{6} px, seed {7} -> {8}",
            summary.TotalImages, summary.TrainImages, summary.ValidationImages, summary.TestImages, summary.TotalPairs,
            string.Join(", ", summary.Styles), summary.ImageSize, summary.Seed, Path.GetFullPath(outDir)));
        return ExitCodes.Ok;
    }
}
