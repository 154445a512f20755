using System.Text.Json;
using System.Text.Json.Serialization;
using StyleAlign.Engine.IO;
using StyleAlign.Engine.Models;

namespace StyleAlign.Trainers.Evaluation;

public sealed partial class StyleClassifier
{
    public const string WeightsFileName = "classifier.safetensors";
    public const string InfoFileName = "classifier.json";
    private const int FormatVersion = 1;

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>Writes classifier.safetensors and classifier.json into the folder (created if needed), each atomically.</summary>
    public void Save(string folder)
    {
        Directory.CreateDirectory(folder);
        SafetensorsWriter.Write(Path.Combine(folder, WeightsFileName),
            Network.Parameters.All.Select(p => (p.Key, p.Value.Shape.ToArray().Select(d => (long)d).ToArray(), p.Value.ToFloatArray())),
            new Dictionary<string, string> { ["format"] = "pt", ["style"] = Info.Style, ["clip_sha256"] = Info.Clip.WeightsSha256 });
        var a = Info.Architecture;
        var json = new InfoJson(FormatVersion, new ClipJson(Info.Clip.Name, Info.Clip.WeightsSha256), Info.Style,
            new ArchitectureJson("mlp", a.EmbeddingDim, a.InputDim, a.HiddenSize, a.Layers, a.Dropout, "relu"),
            Info.ValidationAccuracy, Info.ValidationLoss, Info.BestEpoch, Info.EpochsRun, Info.TrainingExamples, Info.ValidationExamples);
        StyleAlign.Engine.IO.AtomicFile.WriteAllText(Path.Combine(folder, InfoFileName), JsonSerializer.Serialize(json, JsonOptions) + "\n");
    }

    public static StyleClassifier Load(string folder)
    {
        var infoPath = Path.Combine(folder, InfoFileName);
        var weightsPath = Path.Combine(folder, WeightsFileName);
        if (!File.Exists(infoPath)) throw new FileNotFoundException($"{folder}: no {InfoFileName}; is this a classifier folder?", infoPath);
        if (!File.Exists(weightsPath)) throw new FileNotFoundException($"{folder}: no {WeightsFileName}", weightsPath);

        InfoJson json;
        try
        {
            json = JsonSerializer.Deserialize<InfoJson>(InputFiles.ReadAllText(infoPath, InputFiles.MaxConfigBytes, InfoFileName), JsonOptions)
                ?? throw new InvalidDataException($"{infoPath}: empty classifier description");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{infoPath}: not a classifier description: {e.Message}", e);
        }
        if (json.FormatVersion != FormatVersion) throw new InvalidDataException($"{infoPath}: format_version {json.FormatVersion}, this build reads {FormatVersion}");
        if (json.Clip is null || json.Architecture is null || json.Style is null)
            throw new InvalidDataException($"{infoPath}: 'clip', 'style' and 'architecture' are required");
        if (json.Architecture.Kind != "mlp" || json.Architecture.Activation != "relu")
            throw new InvalidDataException($"{infoPath}: architecture {json.Architecture.Kind}/{json.Architecture.Activation} is not the relu MLP this build implements");
        var architecture = new StyleClassifierArchitecture(json.Architecture.EmbeddingDim, json.Architecture.HiddenSize, json.Architecture.Layers, json.Architecture.Dropout);

        StyleClassifierNetwork network;
        using (var file = SafetensorsFile.Open(weightsPath))
        {
            var source = new CheckpointParameterSource(file, $"'{weightsPath}' (a {architecture.Layers}-layer classifier by {infoPath})");
            network = new StyleClassifierNetwork(architecture, source);
            try
            {
                source.Finish();
            }
            catch
            {
                network.Dispose();
                throw;
            }
        }
        var info = new StyleClassifierInfo(new ClipIdentity(json.Clip.Name, json.Clip.Sha256), json.Style, architecture,
            json.ValidationAccuracy, json.ValidationLoss, json.BestEpoch, json.EpochsRun, json.TrainingExamples, json.ValidationExamples);
        return new StyleClassifier(network, info);
    }

    private sealed record ClipJson(string Name, string Sha256);

    private sealed record ArchitectureJson(string Kind, int EmbeddingDim, int InputDim, int HiddenSize, int Layers, double Dropout, string Activation);

    private sealed record InfoJson(
        int FormatVersion,
        ClipJson? Clip,
        string? Style,
        ArchitectureJson? Architecture,
        double ValidationAccuracy,
        double ValidationLoss,
        int BestEpoch,
        int EpochsRun,
        int TrainingExamples,
        int ValidationExamples);
}
