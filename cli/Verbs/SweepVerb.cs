using System.CommandLine;
using System.Globalization;
using StyleAlign.Trainers.Training;

namespace StyleAlign.Cli.Verbs;

/// <summary><c>engine-cli sweep</c>: one run per nested data fraction and the saturation table.</summary>
public sealed class SweepVerb : IVerb
{
    public Command Build()
    {
        var command = new Command("sweep", "Train one run per nested data fraction (same step count each) and write saturation.md/.json/.png.");
        var method = new Option<string>("--method") { Description = "sft | dpo | simpo.", DefaultValueFactory = _ => "simpo" };
        var fractions = new Option<string>("--fractions") { Description = "Comma-separated percentages of the training data.", DefaultValueFactory = _ => "1,5,10,25,50,100" };
        var beta = new Option<double?>("--beta") { Description = "β (default: the method's)." }.Positive();
        var gammaRatio = new Option<double>("--gamma-beta-ratio") { Description = "SimPO γ/β.", DefaultValueFactory = _ => 0.5 }.NonNegative();
        command.Options.Add(method);
        command.Options.Add(fractions);
        command.Options.Add(beta);
        command.Options.Add(gammaRatio);
        // The shared options are built for SimPO's defaults; the method's own learning rate is applied below when --lr is absent.
        var common = new CommonOptions(TrainingMethod.SimPo);
        common.AddTo(command);
        command.SetAction(parse =>
        {
            var output = parse.InvocationConfiguration.Output;
            var m = parse.GetValue(method)!.ToLowerInvariant() switch
            {
                "sft" => TrainingMethod.Sft,
                "dpo" => TrainingMethod.Dpo,
                "simpo" => TrainingMethod.SimPo,
                var other => throw new UsageException($"--method '{other}': the sweep runs sft, dpo or simpo"),
            };
            var percents = Percents(parse.GetValue(fractions)!);
            var recipe = common.Recipe(parse) with { Method = m, Beta = parse.GetValue(beta), GammaBetaRatio = parse.GetValue(gammaRatio) };
            if (parse.GetValue(common.Lr) is null)
                recipe = recipe with { Trainer = recipe.Trainer with { LearningRate = TrainingRecipe.DefaultLearningRate(m, recipe.Full) } };
            common.PrepareRunFolder(parse);
            var rows = SaturationSweep.Run(recipe, percents, recipe.Trainer.OutputDirectory, output);
            output.WriteLine(File.ReadAllText(Path.Combine(recipe.Trainer.OutputDirectory, "saturation.md")));
            return rows.Count == percents.Count ? ExitCodes.Ok : ExitCodes.Failure;
        });
        return command;
    }

    /// <summary>The comma-separated percentages of --fractions, each in (0, 100].</summary>
    internal static List<double> Percents(string list)
    {
        var percents = list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(p => double.TryParse(p, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && v > 0 && v <= 100 ? v : throw new UsageException($"--fractions: '{p}' is not a percentage in (0, 100]"))
            .ToList();
        return percents.Count > 0 ? percents : throw new UsageException("--fractions: no percentage given");
    }
}
