using NUnit.Framework;
using StyleAlign.Engine.IO;
using StyleAlign.Engine.Models;
using StyleAlign.Tests.TestSupport;

namespace StyleAlign.Tests.Models;

/// <summary>Forward inputs that disagree with the config or with each other, refused naming the file and the tensor before anything is sized from them.</summary>
[TestFixture, Category("Unit")]
public sealed class ForwardInputChecksTests
{
    private static readonly string Qwen = Compare.FixturePath("qwen25vl_tiny");
    private TempDirectory _temp = null!;

    [SetUp]
    public void Create() => _temp = new TempDirectory();

    [TearDown]
    public void Delete() => _temp.Dispose();

    /// <summary>The image case's inputs with <paramref name="change"/> applied.</summary>
    private string Inputs(Action<Dictionary<string, (SafetensorsDType DType, long[] Shape, long[]? Ints, float[]? Floats)>> change)
    {
        using var source = SafetensorsFile.Open(Compare.FixturePath("qwen25vl_tiny", "case2_image_text.safetensors"));
        var inputs = new Dictionary<string, (SafetensorsDType DType, long[] Shape, long[]? Ints, float[]? Floats)>
        {
            ["input_ids"] = (SafetensorsDType.I64, [1, 30], source.ReadAsInt64("input_ids"), null),
            ["attention_mask"] = (SafetensorsDType.I64, [1, 30], source.ReadAsInt64("attention_mask"), null),
            ["pixel_values"] = (SafetensorsDType.F32, [48, 1176], null, source.ReadAsFloat32("pixel_values")),
            ["image_grid_thw"] = (SafetensorsDType.I64, [1, 3], source.ReadAsInt64("image_grid_thw"), null),
        };
        change(inputs);
        var path = _temp.File("inputs.safetensors");
        SafetensorsWriter.Write(path, inputs.Select(kv => kv.Value.Ints is { } ints
            ? SafetensorsWriter.Int64(kv.Key, kv.Value.Shape, ints)
            : SafetensorsWriter.Float32(kv.Key, kv.Value.Shape, kv.Value.Floats!)));
        return path;
    }

    private static InvalidInputException Refused(string path)
    {
        using var file = SafetensorsFile.Open(path);
        return Assert.Throws<InvalidInputException>(() => ModelForward.Run(Qwen, new ForwardInputs(file), new ForwardOptions()))!;
    }

    [Test]
    public void A_huge_image_grid_is_refused_at_once()
    {
        var path = Inputs(i => i["image_grid_thw"] = (SafetensorsDType.I64, [1, 3], [1, 10000, 10000], null));
        Assert.That(Refused(path).Message, Does.StartWith($"{path}: input 'image_grid_thw'").And.Contain("48 pixel rows"));
    }

    [Test]
    public void An_attention_mask_of_the_wrong_length_is_named()
    {
        var path = Inputs(i => i["attention_mask"] = (SafetensorsDType.I64, [1, 29], Enumerable.Repeat(1L, 29).ToArray(), null));
        Assert.That(Refused(path).Message, Is.EqualTo($"{path}: input 'attention_mask' has shape [1, 29]; expected [1, 30], the shape of input_ids"));
    }

    [Test]
    public void Float_ids_ids_outside_the_vocabulary_and_a_grid_without_pixels_are_named()
    {
        var floats = Inputs(i => i["input_ids"] = (SafetensorsDType.F32, [1, 30], null, new float[30]));
        Assert.That(Refused(floats).Message, Does.Contain("input 'input_ids' is F32; expected an integer tensor"));

        var outside = Inputs(i => i["input_ids"] = (SafetensorsDType.I64, [1, 30], [.. i["input_ids"].Ints![..29], 512], null));
        Assert.That(Refused(outside).Message, Does.Contain("input 'input_ids' [0, 29] = 512 is outside the vocabulary [0, 512)"));

        var noPixels = Inputs(i => i.Remove("pixel_values"));
        Assert.That(Refused(noPixels).Message, Does.Contain("input 'pixel_values' is missing: pixel_values and image_grid_thw go together"));

        var pads = Inputs(i => i["input_ids"] = (SafetensorsDType.I64, [1, 30], i["input_ids"].Ints!.Select(id => id == 500 ? 9L : id).ToArray(), null));
        Assert.That(Refused(pads).Message, Does.Contain("holds 0 image-pad tokens (id 500), but the image grids give 12 image embeddings"));

        var mask = Inputs(i => i["attention_mask"] = (SafetensorsDType.I64, [1, 30], Enumerable.Repeat(2L, 30).ToArray(), null));
        Assert.That(Refused(mask).Message, Does.Contain("input 'attention_mask' [0, 0] = 2; expected 0 or 1"));
    }

    [Test]
    public void A_nan_or_infinite_pixel_is_refused_naming_its_index()
    {
        foreach (var bad in new[] { float.NaN, float.PositiveInfinity })
        {
            var path = Inputs(i =>
            {
                var pixels = i["pixel_values"].Floats!.ToArray();
                pixels[2 * 1176 + 5] = bad;
                i["pixel_values"] = (SafetensorsDType.F32, [48, 1176], null, pixels);
            });
            Assert.That(Refused(path).Message, Is.EqualTo($"{path}: input 'pixel_values' [2, 5] = {bad}; expected finite values"));
        }
    }

    [Test]
    public void The_checked_inputs_still_reproduce_the_reference_logits()
    {
        var path = Inputs(_ => { });
        using var file = SafetensorsFile.Open(path);
        using var reference = SafetensorsFile.Open(Compare.FixturePath("qwen25vl_tiny", "case2_image_text.safetensors"));
        var result = ModelForward.Run(Qwen, new ForwardInputs(file), new ForwardOptions());
        Compare.AllClose(result.Outputs["logits"].ToFloatArray(), reference.ReadAsFloat32("logits"), 1e-4, 1e-4, "logits");
    }
}
