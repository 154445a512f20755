using System.Text.Json.Serialization;
using Parquet.Serialization;
using StyleAlign.Engine.Vision;

namespace StyleAlign.Tests.Import;

/// <summary>
/// Writes parquet files in the schema Hugging Face publishes for jmhessel/newyorker_caption_contest, config
/// "explanation" (every column, in order; the image as a struct {bytes, path}), and variants that break it.
/// </summary>
internal static class NewYorkerParquetFiles
{
    public sealed class EncodedImage
    {
        [JsonPropertyName("bytes")] public byte[]? Bytes { get; set; }
        [JsonPropertyName("path")] public string? Path { get; set; }
    }

    public sealed class ExplanationRow
    {
        [JsonPropertyName("image")] public EncodedImage? Image { get; set; }
        [JsonPropertyName("contest_number")] public int ContestNumber { get; set; }
        [JsonPropertyName("image_location")] public string? ImageLocation { get; set; }
        [JsonPropertyName("image_description")] public string? ImageDescription { get; set; }
        [JsonPropertyName("image_uncanny_description")] public string? ImageUncannyDescription { get; set; }
        [JsonPropertyName("entities")] public List<string>? Entities { get; set; }
        [JsonPropertyName("questions")] public List<string>? Questions { get; set; }
        [JsonPropertyName("caption_choices")] public string? CaptionChoices { get; set; }
        [JsonPropertyName("from_description")] public string? FromDescription { get; set; }
        [JsonPropertyName("label")] public string? Label { get; set; }
        [JsonPropertyName("n_tokens_label")] public int TokensInLabel { get; set; }
        [JsonPropertyName("instance_id")] public string? InstanceId { get; set; }
    }

    /// <summary>The matching config's shape: caption_choices is a list of five strings.</summary>
    public sealed class MatchingRow
    {
        [JsonPropertyName("image")] public EncodedImage? Image { get; set; }
        [JsonPropertyName("image_description")] public string? ImageDescription { get; set; }
        [JsonPropertyName("caption_choices")] public List<string>? CaptionChoices { get; set; }
        [JsonPropertyName("instance_id")] public string? InstanceId { get; set; }
    }

    /// <summary>A row without image_description.</summary>
    public sealed class RowWithoutDescription
    {
        [JsonPropertyName("image")] public EncodedImage? Image { get; set; }
        [JsonPropertyName("caption_choices")] public string? CaptionChoices { get; set; }
        [JsonPropertyName("instance_id")] public string? InstanceId { get; set; }
    }

    /// <summary>A tiny PNG cartoon of one flat colour.</summary>
    public static byte[] Cartoon(byte shade)
    {
        var rgb = new byte[8 * 8 * 3];
        Array.Fill(rgb, shade);
        return PngEncoder.Encode(rgb, 8, 8);
    }

    public static ExplanationRow Row(int contest, string id, byte[]? image, string? description = null, string? caption = null) => new()
    {
        Image = new EncodedImage { Bytes = image, Path = $"{contest}.jpeg" },
        ContestNumber = contest,
        ImageLocation = "an office",
        ImageDescription = description ?? $"Two people talk in an office in contest {contest}.",
        ImageUncannyDescription = "The desk is floating.",
        Entities = ["https://en.wikipedia.org/wiki/Office"],
        Questions = ["Why is the desk floating?"],
        CaptionChoices = caption ?? $"Caption {id}: I told you the rent was going up.",
        FromDescription = "scene: an office",
        Label = "The joke explains why the desk floats.",
        TokensInLabel = 8,
        InstanceId = id,
    };

    public static void Write<T>(string path, IEnumerable<T> rows)
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        using var stream = File.Create(path);
        ParquetSerializer.SerializeAsync(rows, stream).GetAwaiter().GetResult();
    }

    /// <summary>explanation/{split}-00000-of-00001.parquet: train 3 rows (two share a cartoon), validation 1, test 1.</summary>
    public static void WriteValidDownload(string root)
    {
        var shared = Cartoon(40);
        Write(Shard(root, "train"), [Row(1, "a1", shared), Row(1, "a2", shared), Row(2, "b1", Cartoon(90))]);
        Write(Shard(root, "validation"), [Row(3, "c1", Cartoon(140))]);
        Write(Shard(root, "test"), [Row(4, "d1", Cartoon(200))]);
    }

    public static string Shard(string root, string split) => System.IO.Path.Combine(root, "explanation", $"{split}-00000-of-00001.parquet");
}
