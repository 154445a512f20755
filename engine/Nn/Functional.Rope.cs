using StyleAlign.Engine.Core;

namespace StyleAlign.Engine.Nn;

public static partial class Functional
{
    /// <summary>
    /// Multimodal rotary tables (Qwen2.5-VL M-RoPE). positionIds [3, B, T] (I64/I32; components t, h, w) →
    /// cos, sin [B, T, headDim] in F32. inv_freq[j] = 1 / θ^(2j/D) in float32 pow, as the reference does;
    /// angle = P[c] · inv_freq[j] in float32, where for j = d mod D/2 the sections are contiguous:
    /// j ∈ [0, s₀) → t, [s₀, s₀+s₁) → h, [s₀+s₁, D/2) → w; the second half mirrors the first.
    /// </summary>
    public static (Tensor Cos, Tensor Sin) MRopeCosSin(Tensor positionIds, int headDim, double theta, int[] mropeSection)
    {
        if (positionIds.Rank != 3 || positionIds.Shape[0] != 3)
            throw new ArgumentException($"M-RoPE position ids must be [3, B, T], got {positionIds.Shape}");
        if (headDim % 2 != 0) throw new ArgumentException($"rotary head dim must be even, got {headDim}");
        if (mropeSection.Length != 3 || mropeSection.Any(s => s < 0) || mropeSection.Sum() != headDim / 2)
            throw new ArgumentException($"mrope_section [{string.Join(", ", mropeSection)}] must be three sizes summing to headDim/2 = {headDim / 2}");
        var half = headDim / 2;
        var component = new int[half];
        for (var j = 0; j < half; j++) component[j] = j < mropeSection[0] ? 0 : j < mropeSection[0] + mropeSection[1] ? 1 : 2;
        var positions = positionIds.ToLongArray();
        var rows = (int)(positionIds.NumElements / 3);
        return BuildTables(positions, rows, component, headDim, theta, new Shape(positionIds.Shape[1], positionIds.Shape[2], headDim), positionIds.Device);
    }

    /// <summary>1-D rotary tables: positions [...] (I64/I32) → cos, sin [..., headDim] in F32 (rotate-half layout).</summary>
    public static (Tensor Cos, Tensor Sin) RopeCosSin(Tensor positions, int headDim, double theta)
    {
        if (headDim % 2 != 0) throw new ArgumentException($"rotary head dim must be even, got {headDim}");
        var values = positions.ToLongArray();
        return BuildTables(values, values.Length, new int[headDim / 2], headDim, theta, new Shape([.. positions.Shape, headDim]), positions.Device);
    }

    /// <summary>inv_freq[j] = 1 / θ^(2j/D), every step in float32 (pow, then the reciprocal).</summary>
    public static float[] RopeInverseFrequencies(int headDim, double theta)
    {
        var inv = new float[headDim / 2];
        for (var j = 0; j < inv.Length; j++)
        {
            var exponent = (float)(2 * j) / headDim;
            inv[j] = 1f / MathF.Pow((float)theta, exponent);
        }
        return inv;
    }

    // positions holds `rows` values per component, components one after another (component c of row r at
    // c·rows + r); component[j] says which one drives frequency j.
    private static (Tensor Cos, Tensor Sin) BuildTables(long[] positions, int rows, int[] component, int headDim, double theta, Shape shape, Device device)
    {
        var invFreq = RopeInverseFrequencies(headDim, theta);
        var half = headDim / 2;
        var cos = new float[(long)rows * headDim];
        var sin = new float[cos.Length];
        Parallel.For(0, rows, r =>
        {
            for (var j = 0; j < half; j++)
            {
                var angle = (float)positions[(long)component[j] * rows + r] * invFreq[j];
                // cos/sin of the float32 angle, rounded once to float32.
                var c = (float)Math.Cos(angle);
                var s = (float)Math.Sin(angle);
                var o = (long)r * headDim + j;
                cos[o] = cos[o + half] = c;
                sin[o] = sin[o + half] = s;
            }
        });
        return (Tensor.FromFloats(cos, shape, device), Tensor.FromFloats(sin, shape, device));
    }
}
