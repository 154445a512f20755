using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using StyleAlign.Engine.IO;

namespace StyleAlign.Trainers.Study;

/// <summary>
/// The finished cells of a study, one JSON file each (<c>METHOD-FRACTION.json</c>), written to a temporary file and
/// renamed, so a cell is either recorded whole or not at all. A record that does not read is reported and its cell
/// run again.
/// </summary>
internal sealed class StudyCells
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals };
    private readonly string _folder;
    private readonly Dictionary<string, StudyRow> _rows = new(StringComparer.Ordinal);

    public StudyCells(string folder)
    {
        _folder = folder;
        if (!Directory.Exists(folder)) return;
        foreach (var file in Directory.EnumerateFiles(folder, "*.json"))
        {
            var row = Read(file);
            if (row is not null && Path.GetFileName(file) == FileName(row.Method, row.Fraction)) _rows[FileName(row.Method, row.Fraction)] = row;
        }
    }

    public StudyRow? Find(string method, double fraction) => _rows.GetValueOrDefault(FileName(method, fraction));

    public void Record(StudyRow row)
    {
        var name = FileName(row.Method, row.Fraction);
        AtomicFile.WriteAllText(Path.Combine(_folder, name), JsonSerializer.Serialize(row, Indented));
        _rows[name] = row;
    }

    public static string FileName(string method, double fraction) =>
        $"{method}-{fraction.ToString("0.###", CultureInfo.InvariantCulture)}.json";

    private static StudyRow? Read(string file)
    {
        try
        {
            return JsonSerializer.Deserialize<StudyRow>(File.ReadAllText(file), Indented);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public static void WriteSettings(string path, IReadOnlyDictionary<string, string> settings) =>
        AtomicFile.WriteAllText(path, JsonSerializer.Serialize(settings, Indented));

    /// <exception cref="Training.RunFolderException">the file does not read as the study's settings</exception>
    public static IReadOnlyDictionary<string, string> ReadSettings(string path)
    {
        try
        {
            return JsonSerializer.Deserialize<Dictionary<string, string>>(File.ReadAllText(path))
                ?? throw new JsonException("the file holds null");
        }
        catch (JsonException e)
        {
            throw new Training.RunFolderException($"{path}: not a study's settings ({e.Message.Split('\n')[0]}); pass --force to start over");
        }
    }
}
