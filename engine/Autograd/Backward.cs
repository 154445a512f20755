using StyleAlign.Engine.Core;

namespace StyleAlign.Engine.Autograd;

/// <summary>Reverse-mode sweep over the recorded ops, in reverse topological order.</summary>
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
                AccumulateLeaf(t, g);
                continue;
            }
            var inputGrads = op.Backward(g);
            for (var k = 0; k < op.Inputs.Count; k++)
            {
                var input = op.Inputs[k];
                var ig = inputGrads[k];
                if (ig is null || !input.RequiresGrad) continue;
                if (ig.Shape != input.Shape)
                    throw new InvalidOperationException($"{op.Name} backward produced a gradient of shape {ig.Shape} for input {k} of shape {input.Shape}");
                grads[input] = grads.TryGetValue(input, out var prev) ? prev + ig : ig;
            }
        }
        return captured;
    }

    private static void AccumulateLeaf(Tensor leaf, Tensor g)
    {
        var cast = g.DType == leaf.DType ? g : g.To(leaf.DType);
        leaf.Grad = TensorScope.Untracked(() =>
        {
            if (leaf.Grad is null) return cast.Contiguous().Clone();
            var sum = leaf.Grad + cast;
            leaf.Grad.Dispose();
            return sum;
        });
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
