using System.Text.Json;
using NUnit.Framework;
using StyleAlign.Engine.IO;
using StyleAlign.Tests.TestSupport;
using StyleAlign.Trainers.Data;
using StyleAlign.Trainers.Lora;
using StyleAlign.Trainers.Objectives;
using StyleAlign.Trainers.Training;

namespace StyleAlign.Tests.Training;

/// <summary>
/// What a resumed run does with the leftovers of an interrupted one: damaged checkpoints passed over with a warning,
/// torn metrics lines dropped, unfinished temporary folders removed, no record written twice.
/// </summary>
[Category("Unit")]
[NonParallelizable]
public sealed class ResumeFaultTests
{
    private TempDirectory _temp = null!;
    private string _model = null!;
    private IReadOnlyList<PreferenceExample> _train = null!;
    private IReadOnlyList<PreferenceExample> _eval = null!;

    [OneTimeSetUp]
    public void WriteTinyRun()
    {
        _temp = new TempDirectory();
        (_model, _train, _eval) = TinyTraining.WriteRun(_temp.Path, 4, 2);
    }

    [OneTimeTearDown]
    public void Clean() => _temp.Dispose();

    private static readonly TrainerOptions Options = new() { MaxSteps = 3, BatchSize = 2, LearningRate = 3e-3, WarmupRatio = 0, SaveEvery = 1, Quiet = true, WritePlot = false };

    private (TrainingResult Result, List<string> Warnings) Run(string name, TrainerOptions options, bool withEval = false)
    {
        var warnings = new List<string>();
        var model = TinyTraining.Model(_model);
        using var lora = new LoraAdapters(model, new LoraOptions { Rank = 4, Alpha = 8, Dropout = 0.1 });
        var trainer = new Trainer(model, lora, new SimPoObjective(), TinyTraining.Collator(_model, maxCaptionTokens: 16),
            options with { OutputDirectory = Path.Combine(_temp.Path, name), Warn = warnings.Add });
        return (trainer.Train(_train, withEval ? _eval : null), warnings);
    }

    private static byte[] Bytes(string run, string file) => File.ReadAllBytes(Path.Combine(run, "checkpoint-3", file));

    [Test]
    public void Resume_passes_over_an_empty_state_file_and_a_truncated_optimizer_file_to_the_last_good_checkpoint()
    {
        var (whole, _) = Run("whole", Options);
        Run("damaged", Options);
        var dir = Path.Combine(_temp.Path, "damaged");
        File.WriteAllText(Path.Combine(dir, "checkpoint-3", CheckpointStore.StateFileName), "");
        var optimizer = Path.Combine(dir, "checkpoint-2", CheckpointStore.OptimizerFileName);
        File.WriteAllBytes(optimizer, File.ReadAllBytes(optimizer)[..100]);

        var (resumed, warnings) = Run("damaged", Options with { Resume = true });

        Assert.That(warnings.Count(w => w.StartsWith("skipped checkpoint", StringComparison.Ordinal)), Is.EqualTo(2), string.Join("\n", warnings));
        Assert.That(warnings[0], Does.Contain("checkpoint-3").And.Contain(CheckpointStore.StateFileName));
        Assert.That(warnings[1], Does.Contain("checkpoint-2").And.Contain(CheckpointStore.OptimizerFileName));
        Assert.That(resumed.Steps, Is.EqualTo(3));
        foreach (var file in new[] { LoraMerge.AdapterFile, CheckpointStore.OptimizerFileName })
            Assert.That(Bytes(resumed.RunDirectory, file), Is.EqualTo(Bytes(whole.RunDirectory, file)), $"{file} after resuming from checkpoint-1");
    }

    [Test]
    public void A_torn_last_metrics_line_is_dropped_with_a_warning()
    {
        Run("torn", Options with { StopAfterSteps = 2 });
        var log = Path.Combine(_temp.Path, "torn", MetricsLog.FileName);
        File.AppendAllText(log, "{\"loss\":0.69,\"rewar");

        var (resumed, warnings) = Run("torn", Options with { Resume = true });

        Assert.That(warnings, Has.Some.Contains($"{MetricsLog.FileName}:3").And.Some.Contains("not a complete record"));
        var steps = File.ReadAllLines(log).Select(l => JsonSerializer.Deserialize<Dictionary<string, double>>(l)!["step"]).ToList();
        Assert.That(steps, Is.EqualTo(new double[] { 1, 2, 3 }));
        Assert.That(resumed.Steps, Is.EqualTo(3));
    }

    [Test]
    public void Leftovers_of_killed_writes_are_removed_and_a_checkpoint_moved_aside_is_put_back()
    {
        Run("leftovers", Options with { StopAfterSteps = 2 });
        var dir = Path.Combine(_temp.Path, "leftovers");
        Directory.CreateDirectory(Path.Combine(dir, ".checkpoint-3.tmp-0123456789abcdef0123456789abcdef"));
        File.WriteAllText(Path.Combine(dir, ".checkpoint-3.tmp-0123456789abcdef0123456789abcdef", CheckpointStore.StateFileName), "{\"st");
        File.WriteAllText(Path.Combine(dir, ".metrics.jsonl.0123456789abcdef0123456789abcdef.tmp"), "half");
        Directory.Move(Path.Combine(dir, "checkpoint-2"), Path.Combine(dir, ".checkpoint-2.old-0123456789abcdef0123456789abcdef"));
        File.WriteAllText(Path.Combine(dir, "notes.tmp"), "the user's own file");

        var (resumed, warnings) = Run("leftovers", Options with { Resume = true });

        Assert.That(warnings, Has.Some.Contains("restored 'checkpoint-2'"));
        Assert.That(warnings, Has.Some.Contains(".checkpoint-3.tmp-"));
        Assert.That(warnings, Has.Some.Contains(".metrics.jsonl."));
        Assert.That(Directory.EnumerateFileSystemEntries(dir, ".*"), Is.Empty, "no temporary folder or file is left");
        Assert.That(File.Exists(Path.Combine(dir, "notes.tmp")), "files the run did not write stay");
        Assert.That(resumed.Steps, Is.EqualTo(3));
        Assert.That(warnings, Has.None.StartsWith("skipped"), "checkpoint-2 was put back whole and resumed from");
    }

    [Test]
    public void Resuming_a_finished_run_writes_no_second_final_evaluation()
    {
        var (first, _) = Run("finished", Options, withEval: true);
        var log = Path.Combine(first.RunDirectory, MetricsLog.FileName);
        var before = File.ReadAllLines(log);

        var (again, _) = Run("finished", Options with { Resume = true }, withEval: true);

        Assert.That(again.Steps, Is.EqualTo(3));
        var after = File.ReadAllLines(log);
        Assert.That(after.Length, Is.EqualTo(before.Length), "the final evaluation is written once");
        Assert.That(after.Count(l => l.Contains("\"probe/margin\"", StringComparison.Ordinal)), Is.EqualTo(1));
        Assert.That(after[^1], Is.EqualTo(before[^1]), "the same evaluation on the same weights");
    }

    [Test]
    public void A_checkpoint_holds_the_metrics_record_count_and_damage_is_named()
    {
        var (result, _) = Run("count", Options);
        var state = CheckpointStore.ReadState(Path.Combine(result.RunDirectory, "checkpoint-2"));
        Assert.That((int)state[CheckpointStore.MetricsRecordsKey]!, Is.EqualTo(2));
        var path = Path.Combine(result.RunDirectory, "checkpoint-2", CheckpointStore.StateFileName);
        File.WriteAllText(path, File.ReadAllText(path).Replace("\"best_step\"", "\"best_stop\"", StringComparison.Ordinal));
        var skipped = new List<string>();
        File.Delete(Path.Combine(result.RunDirectory, "checkpoint-3", CheckpointStore.StateFileName));
        Assert.That(CheckpointStore.LatestIntact(result.RunDirectory, skipped.Add), Is.EqualTo(Path.Combine(result.RunDirectory, "checkpoint-1")));
        Assert.That(skipped, Has.Count.EqualTo(2));
        Assert.That(skipped[1], Does.Contain("'best_step' is missing"));
    }
}
