using StyleAlign.Engine.Autograd;
using StyleAlign.Engine.Core;

namespace StyleAlign.Engine.Nn;

/// <summary>Parameters that share a weight decay (typically: matrices decay, biases and norm weights do not).</summary>
public sealed record ParamGroup(IReadOnlyList<Tensor> Parameters, double WeightDecay);

/// <summary>AdamW hyper-parameters; the learning rate is usually overwritten each step from a schedule.</summary>
public sealed record AdamWOptions(double LearningRate = 1e-3, double Beta1 = 0.9, double Beta2 = 0.999, double Epsilon = 1e-8, double WeightDecay = 0.01);

/// <summary>
/// AdamW with decoupled weight decay, one fused backend step per parameter. State per parameter: first and
/// second moments (F32, or F64 for F64 parameters so float64 runs stay exact) and its own step count.
/// </summary>
public sealed class AdamW : IDisposable
{
    private readonly IReadOnlyList<ParamGroup> _groups;
    private readonly AdamWOptions _options;
    private readonly Dictionary<Tensor, State> _state = new(ReferenceEqualityComparer.Instance);

    public AdamW(IEnumerable<Tensor> parameters, AdamWOptions options)
        : this([new ParamGroup(parameters.ToList(), options.WeightDecay)], options)
    {
    }

    public AdamW(IReadOnlyList<ParamGroup> groups, AdamWOptions options)
    {
        if (options.Beta1 is < 0 or >= 1 || options.Beta2 is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(options), $"betas ({options.Beta1}, {options.Beta2}) must lie in [0, 1)");
        if (options.Epsilon <= 0) throw new ArgumentOutOfRangeException(nameof(options), $"epsilon {options.Epsilon} must be positive");
        _groups = groups;
        _options = options;
        LearningRate = options.LearningRate;
    }

    /// <summary>The learning rate of the next <see cref="Step"/>.</summary>
    public double LearningRate { get; set; }

    public IReadOnlyList<ParamGroup> Groups => _groups;

    /// <summary>Splits named parameters into a decayed group (rank ≥ 2) and an undecayed one (biases, norm weights).</summary>
    public static IReadOnlyList<ParamGroup> DecayGroups(IEnumerable<(string Name, Tensor Parameter)> named, double weightDecay)
    {
        var list = named.ToList();
        return
        [
            new ParamGroup(list.Where(p => p.Parameter.Rank >= 2).Select(p => p.Parameter).ToList(), weightDecay),
            new ParamGroup(list.Where(p => p.Parameter.Rank < 2).Select(p => p.Parameter).ToList(), 0),
        ];
    }

    /// <summary>Updates every parameter that has a gradient, in place.</summary>
    public void Step()
    {
        using var noGrad = GradMode.NoGrad();
        foreach (var group in _groups)
            foreach (var p in group.Parameters)
            {
                if (p.Grad is null) continue;
                var state = StateOf(p);
                state.Step++;
                var args = new AdamWStepArgs(
                    LearningRate,
                    _options.Beta1,
                    _options.Beta2,
                    _options.Epsilon,
                    group.WeightDecay,
                    1 - Math.Pow(_options.Beta1, state.Step),
                    1 - Math.Pow(_options.Beta2, state.Step));
                p.Backend.AdamWStep(p, p.Grad, state.M, state.V, args);
            }
    }

    /// <summary>Frees and clears every parameter's gradient.</summary>
    public void ZeroGrad()
    {
        foreach (var group in _groups)
            foreach (var p in group.Parameters)
            {
                p.Grad?.Dispose();
                p.Grad = null;
            }
    }

    /// <summary>
    /// The optimizer state keyed "{group}.{index}.m", ".v" and ".step" (I64 scalar), for parameters that have
    /// taken a step. The tensors are the live state: copy them before the optimizer steps again.
    /// </summary>
    public IReadOnlyDictionary<string, Tensor> StateDict()
    {
        var dict = new Dictionary<string, Tensor>();
        ForEachParameter((key, p) =>
        {
            if (!_state.TryGetValue(p, out var s)) return;
            dict[$"{key}.m"] = s.M;
            dict[$"{key}.v"] = s.V;
            dict[$"{key}.step"] = TensorScope.Untracked(() => Tensor.Scalar(s.Step, DType.I64));
        });
        return dict;
    }

    /// <summary>Restores state saved by <see cref="StateDict"/> for the same groups of parameters.</summary>
    public void LoadState(IReadOnlyDictionary<string, Tensor> state)
    {
        ForEachParameter((key, p) =>
        {
            if (!state.TryGetValue($"{key}.step", out var step)) return;
            var m = state.GetValueOrDefault($"{key}.m") ?? throw new KeyNotFoundException($"optimizer state has {key}.step but no {key}.m");
            var v = state.GetValueOrDefault($"{key}.v") ?? throw new KeyNotFoundException($"optimizer state has {key}.step but no {key}.v");
            if (m.Shape != p.Shape || v.Shape != p.Shape)
                throw new ArgumentException($"optimizer state {key}: moments {m.Shape}/{v.Shape} do not match parameter {p.Name ?? key} {p.Shape}");
            var dtype = MomentDType(p);
            var s = StateOf(p);
            s.Replace(Copy(m, dtype, p.Device), Copy(v, dtype, p.Device), (long)step.Item());
        });
    }

    public void Dispose()
    {
        foreach (var s in _state.Values) s.Dispose();
        _state.Clear();
    }

    private void ForEachParameter(Action<string, Tensor> action)
    {
        for (var g = 0; g < _groups.Count; g++)
            for (var i = 0; i < _groups[g].Parameters.Count; i++)
                action($"{g}.{i}", _groups[g].Parameters[i]);
    }

    private State StateOf(Tensor p)
    {
        if (_state.TryGetValue(p, out var s)) return s;
        var dtype = MomentDType(p);
        s = new State(TensorScope.Untracked(() => Tensor.Zeros(p.Shape, dtype, p.Device)), TensorScope.Untracked(() => Tensor.Zeros(p.Shape, dtype, p.Device)));
        _state[p] = s;
        return s;
    }

    private static DType MomentDType(Tensor p) => p.DType == DType.F64 ? DType.F64 : DType.F32;

    private static Tensor Copy(Tensor t, DType dtype, Device device) =>
        TensorScope.Untracked(() =>
        {
            using var noGrad = GradMode.NoGrad();
            var onDevice = t.To(device);
            return onDevice.DType == dtype ? onDevice.Contiguous().Clone() : onDevice.To(dtype).Contiguous();
        });

    private sealed class State(Tensor m, Tensor v) : IDisposable
    {
        public Tensor M { get; private set; } = m;

        public Tensor V { get; private set; } = v;

        public long Step { get; set; }

        public void Replace(Tensor m, Tensor v, long step)
        {
            Dispose();
            (M, V, Step) = (m, v, step);
        }

        public void Dispose()
        {
            M.Dispose();
            V.Dispose();
        }
    }
}
