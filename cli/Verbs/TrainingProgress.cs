using Spectre.Console;
using StyleAlign.Trainers.Training;

namespace StyleAlign.Cli.Verbs;

/// <summary>Runs a training recipe under a Spectre progress bar with ETA and the live loss; per-step lines are muted.</summary>
internal static class TrainingProgress
{
    public static TrainingResult Run(TrainingRecipe recipe)
    {
        TrainingResult result = null!;
        AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask($"{recipe.Method} loading", maxValue: 1);
                var options = recipe.Trainer with
                {
                    Quiet = true,
                    Log = TextWriter.Null,
                    Progress = (step, total, loss) =>
                    {
                        task.MaxValue = total;
                        task.Value = step;
                        task.Description = $"{recipe.Method} step {step}/{total} loss {loss:F4}";
                    },
                };
                result = (recipe with { Trainer = options }).Run();
                task.Value = task.MaxValue;
            });
        return result;
    }
}
