using StyleAlign.Engine.IO;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using StyleAlign.Engine.Core;

namespace StyleAlign.Trainers.Training;

/// <summary>
/// Checkpoints <c>checkpoint-{step}/</c> holding the trainable tensors, <c>optimizer.safetensors</c> (AdamW moments
/// and step counts) and <c>trainer_state.json</c>. Each is written into a temporary sibling folder, flushed to the
/// disk (files, then the folder) and renamed into place, then the run folder is flushed: an interrupted write or a
/// power loss leaves the previous checkpoints untouched. What a killed write leaves behind is cleared by
/// <see cref="RemoveOrphans"/>; a damaged checkpoint is passed over by <see cref="LatestIntact"/>.
/// </summary>
public static partial class CheckpointStore
{
    public const string StateFileName = "trainer_state.json";
    public const string OptimizerFileName = "optimizer.safetensors";
    private const string Prefix = "checkpoint-";
    private const string TemporaryMark = ".tmp-";
    private const string ReplacedMark = ".old-";

    /// <summary>Called after the temporary folder is complete and before it is renamed (tests simulate a crash here).</summary>
    internal static Action<string>? AfterTemporaryWrite { get; set; }

    public static string Save(string runDirectory, string name, ITrainableParameters trainables, IReadOnlyDictionary<string, Tensor> optimizerState, JsonObject state)
    {
        var final = Path.Combine(runDirectory, name);
        var temporary = Path.Combine(runDirectory, $".{name}{TemporaryMark}{Guid.NewGuid():N}");
        Directory.CreateDirectory(temporary);
        try
        {
            trainables.Save(temporary);
            TensorFiles.Write(Path.Combine(temporary, OptimizerFileName), optimizerState.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => (kv.Key, kv.Value)));
            AtomicFile.WriteAllText(Path.Combine(temporary, StateFileName), state.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
            FileSync.FilesAndFolder(temporary);
            AfterTemporaryWrite?.Invoke(temporary);
            if (Directory.Exists(final))
            {
                // Kept until the new one is in place: a crash in between leaves it for RemoveOrphans to restore.
                var old = Path.Combine(runDirectory, $".{name}{ReplacedMark}{Guid.NewGuid():N}");
                Directory.Move(final, old);
                Directory.Move(temporary, final);
                FileSync.Folder(runDirectory);
                Directory.Delete(old, recursive: true);
            }
            else
            {
                Directory.Move(temporary, final);
                FileSync.Folder(runDirectory);
            }
        }
        finally
        {
            if (Directory.Exists(temporary)) Directory.Delete(temporary, recursive: true);
        }
        return final;
    }

    public static string StepName(int step) => Prefix + step.ToString(CultureInfo.InvariantCulture);

    /// <summary>The checkpoint with the highest step whose state file exists, or null (no check of its contents).</summary>
    public static string? Latest(string runDirectory) =>
        Candidates(runDirectory).Where(c => File.Exists(Path.Combine(c.Folder, StateFileName))).Select(c => c.Folder).FirstOrDefault();

    /// <summary>
    /// The checkpoint with the highest step whose files are complete and readable, or null. Each newer one that is
    /// damaged (a torn or empty state file, a truncated tensor file) is passed over and reported to <paramref name="skipped"/>.
    /// </summary>
    public static string? LatestIntact(string runDirectory, Action<string>? skipped = null)
    {
        foreach (var (folder, step) in Candidates(runDirectory))
        {
            var problem = Damage(folder, step);
            if (problem is null) return folder;
            skipped?.Invoke($"skipped checkpoint '{folder}': {problem}; falling back to an earlier checkpoint");
        }
        return null;
    }

    public static JsonObject ReadState(string checkpoint)
    {
        var path = Path.Combine(checkpoint, StateFileName);
        using var document = InputFiles.ParseJson(InputFiles.ReadAllBytes(path, InputFiles.MaxConfigBytes, "trainer state"), path,
            (message, inner) => new InvalidInputException(message, inner));
        return JsonNode.Parse(document.RootElement.GetRawText()) as JsonObject
            ?? throw new InvalidInputException($"{path}: not a JSON object");
    }

    /// <summary>
    /// Clears what writes killed part-way left in a run folder: unfinished checkpoint folders and temporary files are
    /// deleted; a checkpoint moved aside for its replacement is put back if the replacement never arrived. Returns
    /// one line per thing cleared.
    /// </summary>
    public static IReadOnlyList<string> RemoveOrphans(string runDirectory)
    {
        if (!Directory.Exists(runDirectory)) return [];
        var cleared = new List<string>();
        foreach (var folder in Directory.EnumerateDirectories(runDirectory, ".*").Order(StringComparer.Ordinal).ToList())
        {
            var name = Path.GetFileName(folder);
            int temporary = name.IndexOf(TemporaryMark, StringComparison.Ordinal), replaced = name.IndexOf(ReplacedMark, StringComparison.Ordinal);
            if (temporary > 1)
            {
                Directory.Delete(folder, recursive: true);
                cleared.Add($"removed the unfinished checkpoint folder '{name}' an interrupted run left");
            }
            else if (replaced > 1)
            {
                var final = Path.Combine(runDirectory, name[1..replaced]);
                if (Directory.Exists(final))
                {
                    Directory.Delete(folder, recursive: true);
                    cleared.Add($"removed '{name}', the replaced copy of '{Path.GetFileName(final)}' an interrupted run left");
                }
                else
                {
                    Directory.Move(folder, final);
                    cleared.Add($"restored '{Path.GetFileName(final)}' from '{name}': an interrupted run had moved it aside to replace it");
                }
            }
        }
        foreach (var name in AtomicFile.RemoveOrphans(runDirectory))
            cleared.Add($"removed the temporary file '{name}' an interrupted write left");
        if (cleared.Count > 0) FileSync.Folder(runDirectory);
        return cleared;
    }

    /// <summary>Checkpoint folders with their steps, newest first.</summary>
    private static IEnumerable<(string Folder, int Step)> Candidates(string runDirectory)
    {
        if (!Directory.Exists(runDirectory)) return [];
        return Directory.EnumerateDirectories(runDirectory, Prefix + "*")
            .Select(d => (Dir: d, Ok: int.TryParse(Path.GetFileName(d)[Prefix.Length..], NumberStyles.None, CultureInfo.InvariantCulture, out var step), Step: step))
            .Where(c => c.Ok)
            .OrderByDescending(c => c.Step)
            .Select(c => (c.Dir, c.Step))
            .ToList();
    }
}
