using NUnit.Framework;
using StyleAlign.Engine.Core;
using StyleAlign.Engine.Cpu;
using StyleAlign.Engine.Nn;
using StyleAlign.Tests.Autograd;

namespace StyleAlign.Tests.Nn;

[TestFixture, Category("Unit")]
public class RopeDropoutLossTests
{
    [Test]
    public void InverseFrequenciesAreFloat32PowersOfTheBase()
    {
        // D = 8, θ = 10000: inv_freq[j] = 1 / 10000^(j/4) = 1, 0.1, 0.01, 0.001 (each rounded to float32).
        var inv = Functional.RopeInverseFrequencies(8, 10000);
        Assert.That(inv, Is.EqualTo(new[] { 1f, 0.1f, 0.01f, 0.001f }).Within(1e-9));
    }

    [Test]
    public void MRopeTakesContiguousSectionsPerHalf()
    {
        // D = 8, sections [1, 1, 2]: j = 0 uses t, j = 1 uses h, j = 2..3 use w; dims 4..7 repeat 0..3.
        // Token 0 has (t, h, w) = (5, 7, 9); token 1 has (2, 2, 2).
        var positions = Tensor.FromArray(new long[] { 5, 2, 7, 2, 9, 2 }, 3, 1, 2);
        var (cos, sin) = Functional.MRopeCosSin(positions, 8, 10000, [1, 1, 2]);
        Assert.That(cos.Shape, Is.EqualTo(new Shape(1, 2, 8)));
        Assert.That(cos.DType, Is.EqualTo(DType.F32));
        var angles = new[] { 5 * 1f, 7 * 0.1f, 9 * 0.01f, 9 * 0.001f };
        var expectedCos = angles.Concat(angles).Select(a => Math.Cos(a)).ToArray();
        var expectedSin = angles.Concat(angles).Select(a => Math.Sin(a)).ToArray();
        Assert.That(cos.ToDoubleArray()[..8], Is.EqualTo(expectedCos).Within(1e-6));
        Assert.That(sin.ToDoubleArray()[..8], Is.EqualTo(expectedSin).Within(1e-6));

        // Equal components make M-RoPE the ordinary 1-D rotary embedding.
        var (cos1, sin1) = Functional.RopeCosSin(Tensor.FromArray(new long[] { 2 }, 1), 8, 10000);
        Assert.That(cos.ToDoubleArray()[8..], Is.EqualTo(cos1.ToDoubleArray()));
        Assert.That(sin.ToDoubleArray()[8..], Is.EqualTo(sin1.ToDoubleArray()));
        Assert.Throws<ArgumentException>(() => Functional.MRopeCosSin(positions, 8, 10000, [1, 1, 1]));
    }

    [Test]
    public void DropoutMaskFollowsTheCounterHash()
    {
        var backend = CpuBackend.Instance;
        var shape = new Shape(200, 500);
        var a = backend.DropoutMask(shape, 0.3, 42).ToArray<byte>();
        var b = backend.DropoutMask(shape, 0.3, 42).ToArray<byte>();
        var c = backend.DropoutMask(shape, 0.3, 43).ToArray<byte>();
        Assert.That(a, Is.EqualTo(b));
        Assert.That(a, Is.Not.EqualTo(c));
        var keptFraction = a.Count(k => k != 0) / (double)a.Length;
        Assert.That(keptFraction, Is.EqualTo(0.7).Within(0.01));

        // Element i is the splitmix64 output after i + 1 increments from the seed, read as 53-bit uniform.
        for (var i = 0; i < 64; i++)
        {
            var state = 42UL + (ulong)i * 0x9E3779B97F4A7C15UL;
            var u = (SplitMix64.Next(ref state) >> 11) * (1.0 / (1UL << 53));
            Assert.That(a[i], Is.EqualTo(u >= 0.3 ? (byte)1 : (byte)0), $"element {i}");
        }
    }

    [Test]
    public void DropoutScalesKeptValuesAndIsTheIdentityInEval()
    {
        var x = Tensor.Ones(new Shape(1000));
        var y = Functional.Dropout(x, 0.25, seed: 9, training: true).ToDoubleArray();
        Assert.That(y.All(v => v == 0 || Math.Abs(v - 1 / 0.75) < 1e-6), Is.True);
        Assert.That(y.Average(), Is.EqualTo(1.0).Within(0.1));
        Assert.That(Functional.Dropout(x, 0.25, seed: 9, training: false), Is.SameAs(x));
        Assert.That(Functional.Dropout(x, 1, seed: 9, training: true).ToDoubleArray().All(v => v == 0), Is.True);
    }

    [Test]
    public void CrossEntropyAndTokenLogProbsHandValues()
    {
        // Row 0: logits [0, ln 3] → p = [1/4, 3/4], target 1 → nll = −ln(3/4).
        // Row 1: logits [0, 0] → nll = ln 2. Row 2 is ignored. Mean over the two = 0.4904146265058631.
        var logits = Tensor.FromDoubles([0, Math.Log(3), 0, 0, 5, -5], new Shape(3, 2), DType.F64);
        var targets = Tensor.FromArray(new long[] { 1, 0, -100 }, 3);
        Assert.That(Functional.CrossEntropy(logits, targets).Item(), Is.EqualTo(0.4904146265058631).Within(1e-14));
        // Smoothing 0.1: row 0 = 0.9·(−ln ¾) + 0.1·(ln 4 − ln ¾)/2, row 1 stays ln 2; mean = 0.5178799337225659.
        Assert.That(Functional.CrossEntropy(logits, targets, labelSmoothing: 0.1).Item(), Is.EqualTo(0.5178799337225659).Within(1e-14));
        Assert.That(Functional.TokenLogProbs(logits, targets).ToDoubleArray(), Is.EqualTo(new[] { Math.Log(0.75), -Math.Log(2), 0 }).Within(1e-14));
        Assert.Throws<ArgumentOutOfRangeException>(() => Functional.CrossEntropy(logits, Tensor.FromArray(new long[] { 1, 2, 0 }, 3)));
    }

    [Test, Category("GradCheck")]
    public void CrossEntropyAndTokenLogProbsGradients()
    {
        var rng = new RandomGenerator(41);
        var logits = GradCheck.Random(rng, 4, 5);
        var targets = Tensor.FromArray(new long[] { 4, -100, 0, 2 }, 4);
        GradCheck.Check(v => Functional.CrossEntropy(v[0], targets, labelSmoothing: 0.2), [logits]);
        GradCheck.Check(v => Functional.TokenLogProbs(v[0].T.T, targets), [logits]);
    }

    [Test, Category("GradCheck")]
    public void LinearAndEmbeddingGradients()
    {
        var rng = new RandomGenerator(42);
        var x = GradCheck.Random(rng, 2, 3, 4);
        var w = GradCheck.Random(rng, 5, 4);
        var b = GradCheck.Random(rng, 5);
        GradCheck.Check(v => Functional.Linear(v[0], v[1], v[2]), [x, w, b]);
        var table = GradCheck.Random(rng, 6, 3);
        GradCheck.Check(v => Functional.Embedding(v[0], Tensor.FromArray(new long[] { 5, 1, 5, 0 }, 2, 2)), [table]);
    }
}
