namespace StyleAlign.Engine.Cuda.Backend;

/// <summary>
/// Reduces strided views that walk one shared logical shape in row-major order to the fewest dims the kernels need
/// (<see cref="StridedLayoutArg"/> takes at most 8): size-1 dims are dropped and neighbours merged where every view
/// steps through them as one. The row-major order of the elements is unchanged, so a dense output needs no layout.
/// </summary>
public static class StridedPlan
{
    /// <summary>The merged shape and, for each input, its merged strides (same order as given).</summary>
    public static (long[] Shape, long[][] Strides) Coalesce(IReadOnlyList<int> shape, params long[][] strides)
    {
        foreach (var s in strides)
            if (s.Length != shape.Count) throw new ArgumentException($"strides of rank {s.Length} for a shape of rank {shape.Count}");
        var keptDims = Enumerable.Range(0, shape.Count).Where(d => shape[d] != 1).ToList();
        var outShape = new List<long>();
        var outStrides = strides.Select(_ => new List<long>()).ToArray();
        foreach (var d in keptDims)
        {
            var last = outShape.Count - 1;
            var mergeable = last >= 0 && strides.Select((s, k) => outStrides[k][last] == s[d] * shape[d]).All(ok => ok);
            if (mergeable)
            {
                // The previous (outer) dim steps exactly over this one: fold it in, keeping the inner stride.
                outShape[last] *= shape[d];
                for (var k = 0; k < strides.Length; k++) outStrides[k][last] = strides[k][d];
            }
            else
            {
                outShape.Add(shape[d]);
                for (var k = 0; k < strides.Length; k++) outStrides[k].Add(strides[k][d]);
            }
        }
        return (outShape.ToArray(), outStrides.Select(s => s.ToArray()).ToArray());
    }

    /// <summary>The kernel argument for one input of a coalesced plan; throws when more than 8 dims remain.</summary>
    public static StridedLayoutArg Argument(long[] shape, long[] strides, string op)
    {
        if (shape.Length > StridedLayoutArg.MaxDims)
            throw new NotSupportedException($"{op} on CUDA: a view with {shape.Length} non-mergeable dims exceeds the kernels' {StridedLayoutArg.MaxDims}; make it contiguous first");
        return StridedLayoutArg.Create(shape, strides);
    }
}
