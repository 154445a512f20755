using StyleAlign.Engine.Core;

namespace StyleAlign.Engine.IO.Config;

/// <summary>
/// The <c>hidden_act</c> names of transformers' activation table that the engine computes, mapped to its own
/// elementwise kinds. The tanh-approximated GELU has four names there (gelu_new, gelu_pytorch_tanh, gelu_fast,
/// gelu_accurate), all the same function. Names the table holds but the engine does not compute (gelu_10, mish,
/// linear, relu6, …) are refused when a config is read, never silently replaced.
/// </summary>
public static class HfActivation
{
    private static readonly Dictionary<string, UnaryKind> Kinds = new(StringComparer.Ordinal)
    {
        ["silu"] = UnaryKind.Silu,
        ["swish"] = UnaryKind.Silu,
        ["gelu"] = UnaryKind.GeluErf,
        ["gelu_python"] = UnaryKind.GeluErf,
        ["gelu_new"] = UnaryKind.GeluTanh,
        ["gelu_pytorch_tanh"] = UnaryKind.GeluTanh,
        ["gelu_fast"] = UnaryKind.GeluTanh,
        ["gelu_accurate"] = UnaryKind.GeluTanh,
        ["quick_gelu"] = UnaryKind.QuickGelu,
        ["relu"] = UnaryKind.Relu,
        ["sigmoid"] = UnaryKind.Sigmoid,
        ["tanh"] = UnaryKind.Tanh,
    };

    public static IReadOnlyCollection<string> SupportedNames => Kinds.Keys;

    public static bool IsSupported(string name) => Kinds.ContainsKey(name);

    /// <summary>The kind for a supported name; anything else is an error naming the supported ones.</summary>
    public static UnaryKind Kind(string name) =>
        Kinds.TryGetValue(name, out UnaryKind kind)
            ? kind
            : throw new ArgumentException($"hidden_act '{name}' is not computed by this engine (supported: {Describe()})");

    public static string Describe() => string.Join(", ", Kinds.Keys);
}
