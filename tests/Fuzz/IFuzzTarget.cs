namespace StyleAlign.Tests.Fuzz;

/// <summary>One kind of input the fuzzer mutates.</summary>
internal interface IFuzzTarget
{
    string Kind { get; }

    /// <summary>Writes one mutated input into <paramref name="folder"/> and says how to load it and what must happen.</summary>
    FuzzCase Generate(Random rng, string folder);
}
