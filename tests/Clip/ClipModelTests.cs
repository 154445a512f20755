using NUnit.Framework;
using StyleAlign.Engine.Core;
using StyleAlign.Engine.IO;
using StyleAlign.Engine.IO.Config;
using StyleAlign.Engine.Models.Clip;
using StyleAlign.Engine.Vision;
using StyleAlign.Tests.TestSupport;

namespace StyleAlign.Tests.Clip;

[TestFixture]
[Category("Unit")]
public sealed class ClipModelTests
{
    [Test]
    public void LegacyEosIdPoolsAtTheLargestIdEvenWhenIdTwoComesFirst()
    {
        long[] ids = [5, 2, 50, 97, 50, 0, 98, 50, 2, 3, 4, 5];
        Assert.That(ClipTextTower.EosPositions(ids, 2, 6, ClipTextTower.LegacyEosTokenId), Is.EqualTo(new[] { 3, 0 }));
    }

    [Test]
    public void OtherEosIdsPoolAtTheFirstOccurrence()
    {
        long[] ids = [98, 2, 50, 97, 50, 0, 98, 1, 3, 4, 5, 50];
        Assert.That(ClipTextTower.EosPositions(ids, 2, 6, 50), Is.EqualTo(new[] { 2, 5 }));
        Assert.That(() => ClipTextTower.EosPositions([98, 1, 3], 1, 3, 50), Throws.ArgumentException.With.Message.Contains("eos_token_id 50"));
    }

    [TestCase(2, 3)]
    [TestCase(50, 2)]
    public void ModelPoolsByItsConfigRule(int eosTokenId, int expectedPosition)
    {
        using var dir = new TempDirectory();
        foreach (var file in Directory.GetFiles(ClipFixture.Folder, "model.safetensors")) File.Copy(file, dir.File("model.safetensors"));
        var config = ClipConfig.Load(ClipFixture.Folder);
        (config with { Text = config.Text with { EosTokenId = eosTokenId } }).Save(dir.Path);
        var model = ClipModel.Load(dir.Path);

        using var scope = TensorScope.Begin();
        var trace = new ClipTrace();
        model.EncodeTexts(Tensor.FromArray(new long[] { 5, 2, 50, 97, 50, 0 }, 1, 6), Tensor.FromArray(new long[] { 1, 1, 1, 1, 1, 0 }, 1, 6), trace);
        Assert.That(trace.EosPositions, Is.EqualTo(new[] { expectedPosition }));
        var pooled = trace.TextPooledOutput!.ToDoubleArray();
        var atPosition = trace.TextLastHiddenState!.Narrow(1, expectedPosition, 1).ToDoubleArray();
        Assert.That(pooled, Is.EqualTo(atPosition));
    }

    [Test]
    public void TinyClipRoundTripsThroughItsFolder()
    {
        using var dir = new TempDirectory();
        TinyClip.Write(dir.Path, seed: 11);
        foreach (var name in new[] { "config.json", "model.safetensors", "tokenizer.json", "preprocessor_config.json" })
            Assert.That(File.Exists(dir.File(name)), name);

        var pipeline = ClipPipeline.Load(dir.Path);
        var inMemory = TinyClip.Create(seed: 11);
        Assert.That(pipeline.Model.Parameters.All.Select(p => p.Key), Is.EqualTo(inMemory.Parameters.All.Select(p => p.Key)));
        Assert.That(pipeline.Model.LogitScale.Item(), Is.EqualTo(TinyClip.InitialLogitScale).Within(1e-6));

        string[] captions = ["a red circle on a blue field", "why did the square cross the road?"];
        var loaded = pipeline.EmbedTexts(captions);
        using var scope = TensorScope.Begin();
        var (ids, mask) = inMemory.Tokenize(pipeline.Tokenizer, captions);
        var direct = inMemory.EncodeTextsNoGrad(ids, mask).ToFloatArray();
        Assert.That(loaded.SelectMany(e => e).ToArray(), Is.EqualTo(direct));
        Assert.That(loaded[0], Is.Not.EqualTo(loaded[1]), "different captions give different embeddings");

        // Batches are cut to their longest caption; the causal mask makes that equal to padding to the full length.
        Assert.That(ids.Shape[1], Is.LessThan(TinyClip.Config.Text.MaxPositionEmbeddings));
        var padded = captions.Select(c => pipeline.Tokenizer.Encode(c, TinyClip.Config.Text.MaxPositionEmbeddings, padToMaxLength: true)).ToList();
        var paddedIds = Tensor.FromArray(padded.SelectMany(e => e.Ids.Select(i => (long)i)).ToArray(), 2, TinyClip.Config.Text.MaxPositionEmbeddings);
        var paddedMask = Tensor.FromArray(padded.SelectMany(e => e.AttentionMask.Select(i => (long)i)).ToArray(), 2, TinyClip.Config.Text.MaxPositionEmbeddings);
        var fullLength = inMemory.EncodeTextsNoGrad(paddedIds, paddedMask).ToDoubleArray();
        Assert.That(fullLength, Is.EqualTo(direct.Select(v => (double)v).ToArray()).Within(1e-6));
        Assert.That(loaded[0].Sum(v => (double)v * v), Is.EqualTo(1).Within(1e-5), "embeddings are L2-normalized");

        var image = new RgbImage(Enumerable.Range(0, 40 * 48 * 3).Select(i => (byte)(i * 7 % 251)).ToArray(), 40, 48);
        var imageEmbeds = pipeline.EmbedImages([image, image]);
        var pixels = pipeline.ImageProcessor.Process(image);
        var directImage = inMemory.EncodeImagesNoGrad(Tensor.FromFloats(pixels, new Shape(1, 3, TinyClip.ImageSize, TinyClip.ImageSize))).ToFloatArray();
        Assert.That(imageEmbeds[0], Is.EqualTo(directImage));
        Assert.That(imageEmbeds[1], Is.EqualTo(imageEmbeds[0]));
    }

    [Test]
    public void SameSeedWritesTheSameWeights()
    {
        using var a = new TempDirectory();
        using var b = new TempDirectory();
        TinyClip.Write(a.Path, seed: 3);
        TinyClip.Write(b.Path, seed: 3);
        Assert.That(File.ReadAllBytes(a.File("model.safetensors")), Is.EqualTo(File.ReadAllBytes(b.File("model.safetensors"))));
    }

    [Test]
    public void LoadingIsStrictButIgnoresPositionIdBuffers()
    {
        using var dir = new TempDirectory();
        File.Copy(Path.Combine(ClipFixture.Folder, "config.json"), dir.File("config.json"));
        var tensors = ReadAll(Path.Combine(ClipFixture.Folder, "model.safetensors"));

        var withBuffers = tensors.Append(SafetensorsWriter.Int64("text_model.embeddings.position_ids", [1, 16], Enumerable.Range(0, 16).Select(i => (long)i).ToArray()));
        SafetensorsWriter.Write(dir.File("model.safetensors"), withBuffers);
        Assert.That(ClipModel.Load(dir.Path).Parameters.All, Has.Count.EqualTo(78));

        var missingAndExtra = tensors.Where(t => t.Name != "text_projection.weight").Append(SafetensorsWriter.Float32("text_projection.bias", [16], new float[16]));
        SafetensorsWriter.Write(dir.File("model.safetensors"), missingAndExtra);
        var error = Assert.Throws<CheckpointMismatchException>(() => ClipModel.Load(dir.Path))!;
        Assert.That(error.Message, Does.Contain("missing (1): text_projection.weight [16, 32]").And.Contain("unexpected (1): text_projection.bias"));

        var misShaped = tensors.Select(t => t.Name == "logit_scale" ? SafetensorsWriter.Float32("logit_scale", [1], [2.5f]) : t);
        SafetensorsWriter.Write(dir.File("model.safetensors"), misShaped);
        Assert.That(() => ClipModel.Load(dir.Path), Throws.TypeOf<CheckpointMismatchException>().With.Message.Contains("logit_scale: checkpoint [1], model expects []"));
    }

    private static List<(string Name, SafetensorsDType DType, long[] Shape, ReadOnlyMemory<byte> Data)> ReadAll(string path)
    {
        using var file = SafetensorsFile.Open(path);
        return file.Entries.Values.Select(e => (e.Name, e.DType, e.Shape, (ReadOnlyMemory<byte>)file.GetBytes(e.Name).ToArray())).ToList();
    }
}
