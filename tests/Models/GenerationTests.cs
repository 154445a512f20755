using NUnit.Framework;
using StyleAlign.Engine.Autograd;
using StyleAlign.Engine.Core;
using StyleAlign.Engine.Models.Qwen25VL;
using StyleAlign.Engine.Nn;

namespace StyleAlign.Tests.Models;

[TestFixture, Category("Unit")]
public class GenerationTests
{
    private static readonly Qwen25VLModel Model = Qwen25VLModel.Create(TinyQwen.Config, new RandomParameterSource(5, std: 0.3));

    private static long[] Prompt(int length, int seed) =>
        Enumerable.Range(0, length).Select(i => (long)((i * 37 + seed * 11) % 400)).ToArray();

    /// <summary>Greedy decoding by recomputing the whole sequence each step: the cache-free reference.</summary>
    private static long[] GreedyWithoutCache(long[] prompt, int steps)
    {
        using var noGrad = GradMode.NoGrad();
        var ids = prompt.ToList();
        var result = new List<long>();
        for (var s = 0; s < steps; s++)
        {
            using var scope = TensorScope.Begin();
            var m = new long[1, ids.Count];
            for (var i = 0; i < ids.Count; i++) m[0, i] = ids[i];
            var logits = Model.Logits(Model.Forward(new Qwen25VLInputs(m))).Reshape(ids.Count, -1);
            var next = logits.Narrow(0, ids.Count - 1, 1).ArgMax(1).ToLongArray()[0];
            result.Add(next);
            ids.Add(next);
        }
        return result.ToArray();
    }

    [Test]
    public void CachedGreedyDecodingEqualsRecomputingTheSequence()
    {
        var prompt = Prompt(9, 1);
        var cached = Generation.Generate(Model, [prompt], null, [], new GenerationOptions { MaxNewTokens = 6 })[0];
        Assert.That(cached, Is.EqualTo(GreedyWithoutCache(prompt, 6)));
    }

    [Test]
    public void DecodingEndsAtTheModelsPositions()
    {
        var config = TinyQwen.Config with { Text = TinyQwen.Config.Text with { MaxPositionEmbeddings = 12 } };
        var model = Qwen25VLModel.Create(config, new RandomParameterSource(5, std: 0.3));
        var options = new GenerationOptions { MaxNewTokens = 10 };
        Assert.That(Generation.Generate(model, [Prompt(9, 1), Prompt(5, 2)], null, [], options)[0], Has.Length.EqualTo(3), "9 prompt tokens leave 3 of 12 positions");
        Assert.That(Generation.Generate(model, [Prompt(12, 1)], null, [], options)[0], Is.Empty, "a prompt that fills the positions gets nothing more");
        Assert.That(Generation.Generate(Model, [Prompt(9, 1)], null, [], options)[0], Has.Length.EqualTo(10), "below the positions the limit holds");
    }

    [Test]
    public void ALeftPaddedBatchGeneratesWhatEachRowGeneratesAlone()
    {
        var a = Prompt(5, 2);
        var b = Prompt(11, 3);
        var options = new GenerationOptions { MaxNewTokens = 5 };
        var batch = Generation.Generate(Model, [a, b], null, [], options);
        Assert.That(batch[0], Is.EqualTo(Generation.Generate(Model, [a], null, [], options)[0]));
        Assert.That(batch[1], Is.EqualTo(Generation.Generate(Model, [b], null, [], options)[0]));
    }

    [Test]
    public void SamplingIsSeededAndStopsAtAStopToken()
    {
        var prompt = Prompt(7, 4);
        var options = new GenerationOptions { MaxNewTokens = 8, Temperature = 1.0, TopP = 0.9, Seed = 11 };
        var first = Generation.Generate(Model, [prompt], null, [], options)[0];
        Assert.That(Generation.Generate(Model, [prompt], null, [], options)[0], Is.EqualTo(first));
        Assert.That(first, Has.Length.EqualTo(8));
        var stopped = Generation.Generate(Model, [prompt], null, [], options with { StopTokens = [first[2]] })[0];
        Assert.That(stopped, Is.EqualTo(first.Take(Array.IndexOf(first, first[2])).ToArray()));
    }

    [Test]
    public void TopPKeepsOnlyTheNucleus()
    {
        // Probabilities ∝ e^[4, 3, 0, 0]: the first token alone holds 0.71 of the mass, so top-p 0.5 always picks it.
        float[] logits = [4f, 3f, 0f, 0f];
        var rng = new RandomGenerator(1);
        var options = new GenerationOptions { Temperature = 1, TopP = 0.5 };
        for (var i = 0; i < 50; i++) Assert.That(Generation.Sample(logits, options, rng), Is.EqualTo(0));
        Assert.That(Generation.Sample(logits, new GenerationOptions(), rng), Is.EqualTo(0));
    }
}
