using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using StyleAlign.Engine.Nn;
using StyleAlign.Trainers.Batching;
using StyleAlign.Trainers.Lora;
using StyleAlign.Trainers.Objectives;
using StyleAlign.Trainers.Training;

namespace StyleAlign.Cli.Verbs;

/// <summary><c>engine-cli sft</c>: completion-only supervised fine-tuning on the stylized captions.</summary>
public sealed class SftVerb : IVerb
{
    public Command Build() => TrainCommand.Build(TrainingMethod.Sft, "sft", "Supervised fine-tuning on the chosen (stylized) captions, completion tokens only.");
}

/// <summary><c>engine-cli dpo</c>.</summary>
public sealed class DpoVerb : IVerb
{
    public Command Build() => TrainCommand.Build(TrainingMethod.Dpo, "dpo", "Direct preference optimization (sigmoid, cDPO label smoothing, robust or IPO) against cached reference log-probs.");
}

/// <summary><c>engine-cli simpo</c>.</summary>
public sealed class SimPoVerb : IVerb
{
    public Command Build() => TrainCommand.Build(TrainingMethod.SimPo, "simpo", "SimPO: reference-free, length-normalized preference optimization with a target margin.");
}

/// <summary><c>engine-cli cwdpo</c>.</summary>
public sealed class CwDpoVerb : IVerb
{
    public Command Build() => TrainCommand.Build(TrainingMethod.CwDpo, "cwdpo",
        "Cooling-weighted DPO: stage 1 SFT with gentle negatives, stage 2 DPO with the negative's term scaled by a cooling weight, mixed on-policy negatives and Δlog p early stopping. Every CW-DPO constant is a PROPOSAL (the paper's values are not public).");
}

/// <summary>The options shared by the training verbs and the mapping onto a <see cref="TrainingRecipe"/>.</summary>
internal static class TrainCommand
{
    public static Command Build(TrainingMethod method, string name, string description)
    {
        var command = new Command(name, description);
        var o = new CommonOptions(method);
        o.AddTo(command);
        var labelSmoothing = Add(command, new Option<double>("--label-smoothing") { Description = method == TrainingMethod.Sft ? "ε of the label-smoothed token NLL." : "ε: cDPO / robust / SimPO label smoothing.", DefaultValueFactory = _ => 0.0 }
            .Between(0, method == TrainingMethod.Sft ? 1 : 0.5, maxExcluded: true));
        Option<double?>? beta = null;
        Option<string>? lossType = null;
        Option<double>? gammaRatio = null, sftWeight = null;
        CoolingFlags? cooling = null;
        if (method != TrainingMethod.Sft)
            beta = Add(command, new Option<double?>("--beta") { Description = method == TrainingMethod.SimPo ? "β (default 2.0)." : "β (default 0.1)." }.Positive());
        if (method == TrainingMethod.Dpo)
            lossType = Add(command, new Option<string>("--loss-type") { Description = "sigmoid | robust | ipo.", DefaultValueFactory = _ => "sigmoid" });
        if (method == TrainingMethod.SimPo)
        {
            gammaRatio = Add(command, new Option<double>("--gamma-beta-ratio") { Description = "γ/β; the margin is γ = ratio·β.", DefaultValueFactory = _ => 0.5 }.NonNegative());
            sftWeight = Add(command, new Option<double>("--sft-weight") { Description = "Weight of an added chosen-caption NLL term (0: pure SimPO).", DefaultValueFactory = _ => 0.0 }.NonNegative());
        }
        if (method == TrainingMethod.CwDpo) cooling = new CoolingFlags(command);

        command.SetAction(parse =>
        {
            var recipe = o.Recipe(parse) with
            {
                LabelSmoothing = parse.GetValue(labelSmoothing),
                Beta = beta is null ? null : parse.GetValue(beta),
                DpoLoss = lossType is null ? DpoLossType.Sigmoid : ParseLossType(parse.GetValue(lossType)!),
                GammaBetaRatio = gammaRatio is null ? 0.5 : parse.GetValue(gammaRatio),
                SftWeight = sftWeight is null ? 0 : parse.GetValue(sftWeight),
            };
            if (cooling is not null) recipe = cooling.Apply(parse, recipe);
            o.PrepareRunFolder(parse);
            var result = ShowsProgress(parse.GetValue(o.Quiet), parse.GetValue(o.Json))
                ? TrainingProgress.Run(recipe)
                : recipe.Run();
            return Report(result, parse.GetValue(o.Json), parse.GetValue(o.Quiet), parse.InvocationConfiguration.Output);
        });
        return command;
    }

    /// <summary>A live bar only on a terminal, and not with --quiet or --json (whose last line must stay parseable).</summary>
    private static bool ShowsProgress(bool quiet, bool json) => !quiet && !json && !Console.IsOutputRedirected;

    internal static T Add<T>(Command command, T option)
        where T : Option
    {
        command.Options.Add(option);
        return option;
    }

    private static DpoLossType ParseLossType(string value) => value.ToLowerInvariant() switch
    {
        "sigmoid" => DpoLossType.Sigmoid,
        "robust" => DpoLossType.Robust,
        "ipo" => DpoLossType.Ipo,
        _ => throw new UsageException($"--loss-type '{value}': expected sigmoid, robust or ipo"),
    };

    internal static int Report(TrainingResult result, bool json, bool quiet, TextWriter output)
    {
        if (!quiet || !json)
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"trained {result.Steps} steps in {result.Seconds:F1} s; final loss {result.FinalLoss:G5}; WR-LogP {Fmt(result.EvalWinRateBefore)} → {Fmt(result.EvalWinRateAfter)}; run: {result.RunDirectory}{(result.StopReason is null ? "" : $" (stopped: {result.StopReason})")}"));
        if (json)
            output.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object?>
            {
                ["steps"] = result.Steps,
                ["final_loss"] = double.IsFinite(result.FinalLoss) ? result.FinalLoss : null,
                ["eval_wr_logp_before"] = result.EvalWinRateBefore,
                ["eval_wr_logp_after"] = result.EvalWinRateAfter,
                ["seconds"] = result.Seconds,
                ["run_dir"] = Path.GetFullPath(result.RunDirectory),
            }));
        return ExitCodes.Ok;
    }

    private static string Fmt(double? value) => value is { } v ? v.ToString("F1", CultureInfo.InvariantCulture) + " %" : "n/a";
}
