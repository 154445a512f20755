using NUnit.Framework;
using StyleAlign.Engine.Core;
using StyleAlign.Engine.IO;
using StyleAlign.Engine.Models;
using StyleAlign.Engine.Models.Qwen25VL;
using StyleAlign.Engine.Nn;
using StyleAlign.Tests.TestSupport;

namespace StyleAlign.Tests.Models;

[TestFixture, Category("Unit")]
public class ModelWriterTests
{
    [Test]
    public void ARandomCheckpointHoldsWhatTheSameSeededSourceBuildsAndLoadsStrictly()
    {
        using var dir = new TempDirectory();
        TinyQwen.Config.Save(dir.Path);
        var written = ModelWriter.WriteRandom(dir.Path, source => Qwen25VLModel.Create(TinyQwen.Config, source), seed: 9, DType.F32, maxShardBytes: 64 << 10);
        var expected = Qwen25VLModel.Create(TinyQwen.Config, new RandomParameterSource(9, std: 0.02));
        Assert.That(written.Tensors, Is.EqualTo(expected.Parameters.All.Count));
        Assert.That(written.Parameters, Is.EqualTo(expected.Parameters.Count));
        Assert.That(written.Shards, Has.Count.GreaterThan(1), "64 KiB shards split the tiny model");
        Assert.That(File.Exists(Path.Combine(dir.Path, SafetensorsWriter.IndexFileName)));

        var loaded = Qwen25VLModel.Load(dir.Path);
        foreach (var (name, tensor) in expected.Parameters.All)
            Assert.That(loaded.Parameters[name].ToFloatArray(), Is.EqualTo(tensor.ToFloatArray()), name);
    }

    [Test]
    public void Bf16RandomCheckpointsRoundTheSameDraws()
    {
        using var dir = new TempDirectory();
        ModelWriter.WriteRandom(dir.Path, source => Qwen25VLModel.Create(TinyQwen.Config, source), seed: 4, DType.BF16, maxShardBytes: 1 << 30);
        var expected = Qwen25VLModel.Create(TinyQwen.Config, new RandomParameterSource(4, std: 0.02)).Parameters["model.layers.0.mlp.up_proj.weight"];
        using var checkpoint = SafetensorsCheckpoint.Open(dir.Path);
        Assert.That(checkpoint.Entries["model.layers.0.mlp.up_proj.weight"].DType, Is.EqualTo(SafetensorsDType.BF16));
        var rounded = expected.ToFloatArray().Select(v => BFloat16Bits.ToSingle(BFloat16Bits.FromSingle(v))).ToArray();
        Assert.That(checkpoint.ReadAsFloat32("model.layers.0.mlp.up_proj.weight"), Is.EqualTo(rounded));
        Assert.That(() => ModelWriter.WriteRandom(dir.Path, _ => { }, 1, DType.I64, 1), Throws.ArgumentException.With.Message.Contains("I64"));
    }

    [Test]
    public void RequestsListEveryTensorWithoutAllocatingIt()
    {
        var requests = ModelWriter.Requests(source => Qwen25VLModel.Create(TinyQwen.Config, source));
        var built = Qwen25VLModel.Create(TinyQwen.Config, new RandomParameterSource(1));
        Assert.That(requests.Select(r => r.Name), Is.EqualTo(built.Parameters.All.Select(p => p.Key)));
        Assert.That(requests.First(r => r.Name == "model.norm.weight").Init, Is.EqualTo(ParameterInit.Ones));
    }
}
