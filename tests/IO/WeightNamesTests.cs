using NUnit.Framework;
using StyleAlign.Engine.IO;

namespace StyleAlign.Tests.IO;

[TestFixture]
[Category("Unit")]
public sealed class WeightNamesTests
{
    [TestCase("model.language_model.layers.3.self_attn.q_proj.weight", "model.layers.3.self_attn.q_proj.weight")]
    [TestCase("model.language_model.embed_tokens.weight", "model.embed_tokens.weight")]
    [TestCase("model.language_model.norm.weight", "model.norm.weight")]
    [TestCase("model.visual.blocks.0.attn.qkv.bias", "visual.blocks.0.attn.qkv.bias")]
    [TestCase("model.visual.merger.mlp.2.weight", "visual.merger.mlp.2.weight")]
    [TestCase("model.layers.0.mlp.up_proj.weight", "model.layers.0.mlp.up_proj.weight")]
    [TestCase("visual.patch_embed.proj.weight", "visual.patch_embed.proj.weight")]
    [TestCase("lm_head.weight", "lm_head.weight")]
    [TestCase("model.visualizer.x", "model.visualizer.x")]
    public void NewerQwenNamesMapToLegacyNames(string key, string expected) =>
        Assert.That(WeightNames.NormalizeQwen(key), Is.EqualTo(expected));
}
