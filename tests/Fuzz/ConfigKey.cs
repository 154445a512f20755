namespace StyleAlign.Tests.Fuzz;

/// <summary>
/// A config key the fuzzer knows: every place it may sit (flat, nested and v5 forms), whether it is required,
/// values that are always invalid for it, and valid values with what loading the tiny model must then do
/// (Accept when the weights still fit, Refuse when the checkpoint no longer matches).
/// </summary>
internal sealed record ConfigKey(string Name, string[] Paths, bool Required, string[] Invalid, (string Value, Expect Expect)[] Valid)
{
    /// <summary>Values no integer size or count accepts.</summary>
    public static readonly string[] BadCounts = ["0", "-1", "2147483647", "2147483648", "1e18", "1.5", "\"8\"", "true", "[]", "{}", "-2147483648"];

    /// <summary>Values no epsilon or theta accepts.</summary>
    public static readonly string[] BadPositives = ["0", "-1e-06", "\"1e-6\"", "1e400", "-1e400", "true", "[1]", "0.0"];

    public static readonly string[] BadIds = ["-1", "\"5\"", "1e9", "2147483647", "1.5", "[]"];

    /// <summary>Activation names transformers knows but the engine does not compute, and names nobody knows.</summary>
    public static readonly string[] BadActivations = ["\"mish\"", "\"gelu_10\"", "\"linear\"", "\"relu6\"", "\"\"", "\"SILU\"", "5", "\"leaky_relu\"", "\"\\ud800\""];

    public static readonly (string, Expect)[] GoodActivations =
        [("\"gelu\"", Expect.Accept), ("\"gelu_new\"", Expect.Accept), ("\"gelu_pytorch_tanh\"", Expect.Accept), ("\"relu\"", Expect.Accept),
         ("\"swish\"", Expect.Accept), ("\"quick_gelu\"", Expect.Accept), ("\"silu\"", Expect.Accept), ("\"tanh\"", Expect.Accept),
         ("\"sigmoid\"", Expect.Accept), ("\"gelu_fast\"", Expect.Accept), ("\"gelu_accurate\"", Expect.Accept), ("\"gelu_python\"", Expect.Accept)];
}
