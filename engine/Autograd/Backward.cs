using StyleAlign.Engine.Core;

namespace StyleAlign.Engine.Autograd;

/// <summary>
/// Reverse-mode sweep over the recorded ops, in reverse topological order. A gradient is freed as soon as the op it
/// flows into has turned it into its inputs' gradients (or a leaf has taken it), so the sweep holds only the
/// gradients of its frontier, not every gradient of the graph until the step ends.
/// </summary>
internal static class Backward
{
    public static void Run(Tensor root, Tensor? gradOutput) => Run(root, gradOutput, capture: null);

    /// <summary>
    /// The sweep, with one tensor whose gradient is returned instead of accumulated into it (the detached input of
    /// a recomputed block); every other leaf accumulates as usual. Null when no gradient reaches it.
    /// </summary>
    public static Tensor? Run(Tensor root, Tensor? gradOutput, Tensor? capture)
    {
        if (!root.RequiresGrad) throw new InvalidOperationException("Backward() on a tensor that does not require grad (no input required grad, or it was computed under NoGrad)");
        if (gradOutput is null && root.NumElements != 1)
            throw new InvalidOperationException($"Backward() without a gradient needs a scalar, got shape {root.Shape}");

        var order = TopologicalOrder(root);
        var grads = new Dictionary<Tensor, Tensor>(ReferenceEqualityComparer.Instance);
        using var noGrad = GradMode.NoGrad();
        grads[root] = gradOutput ?? Tensor.Full(root.Shape, 1.0, root.DType, root.Device);
        Tensor? captured = null;

        var handed = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        for (var i = order.Count - 1; i >= 0; i--)
        {
            var t = order[i];
            if (!grads.Remove(t, out var g)) continue;
            var op = t.GradFn;
            if (ReferenceEquals(t, capture))
            {
                captured = g;
                continue;
            }
            if (op is null)
            {
                AccumulateLeaf(t, g, owned: !ReferenceEquals(g, gradOutput));
                continue;
            }
            var inputGrads = op.Backward(g);
            handed.Clear();
            for (var k = 0; k < op.Inputs.Count; k++)
            {
                var input = op.Inputs[k];
                var ig = inputGrads[k];
                if (ig is null) continue;
                if (!input.RequiresGrad)
                {
                    if (!ReferenceEquals(ig, g) && handed.Add(ig)) ig.Dispose();
                    continue;
                }
                if (ig.Shape != input.Shape)
                    throw new InvalidOperationException($"{op.Name} backward produced a gradient of shape {ig.Shape} for input {k} of shape {input.Shape}");
                // Each pending gradient is a tensor object of its own, so freeing one never frees another's.
                var own = handed.Add(ig) ? ig : ig.Detach();
                if (grads.TryGetValue(input, out var prev))
                {
                    grads[input] = prev + own;
                    prev.Dispose();
                    own.Dispose();
                }
                else
                {
                    grads[input] = own;
                }
            }
            if (!handed.Contains(g) && !ReferenceEquals(g, gradOutput)) g.Dispose();
        }
        return captured;
    }

    /// <summary>
    /// Adds g into the leaf's Grad. When the sweep owns g outright (no view of its storage elsewhere) and it has the
    /// leaf's dtype and a dense layout, the leaf takes it as is instead of a copy.
    /// </summary>
    private static void AccumulateLeaf(Tensor leaf, Tensor g, bool owned)
    {
        if (leaf.Grad is null && owned && g.DType == leaf.DType && g.IsContiguous && g.Layout.Offset == 0
            && g.NumElements == g.Storage.Count && g.Storage.IsExclusive)
        {
            TensorScope.Untrack(g);
            g.GradFn = null;
            leaf.Grad = g;
            return;
        }
        var cast = g.DType == leaf.DType ? g : g.To(leaf.DType);
        leaf.Grad = TensorScope.Untracked(() =>
        {
            if (leaf.Grad is null) return cast.Contiguous().Clone();
            var sum = leaf.Grad + cast;
            leaf.Grad.Dispose();
            return sum;
        });
        if (!ReferenceEquals(cast, g)) cast.Dispose();
        if (owned) g.Dispose();
    }

    private static List<Tensor> TopologicalOrder(Tensor root)
    {
        var order = new List<Tensor>();
        var visited = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        var stack = new Stack<(Tensor Node, int Next)>();
        stack.Push((root, 0));
        visited.Add(root);
        while (stack.Count > 0)
        {
            var (node, next) = stack.Pop();
            var inputs = node.GradFn?.Inputs ?? [];
            if (next < inputs.Count)
            {
                stack.Push((node, next + 1));
                var child = inputs[next];
                if (child.RequiresGrad && visited.Add(child)) stack.Push((child, 0));
            }
            else
            {
                order.Add(node);
            }
        }
        return order;
    }
}
