namespace StyleAlign.Tests.Fuzz;

/// <summary>What a generated input must lead to.</summary>
internal enum Expect
{
    /// <summary>The input is invalid: the entry point must throw the engine's bad-input error.</summary>
    Refuse,

    /// <summary>The input is valid: the entry point must succeed.</summary>
    Accept,

    /// <summary>Validity is unknown (random corruption): either outcome is fine, but only the two clean ones.</summary>
    Either,
}

/// <summary>
/// One generated input: its files are already written under the case's folder; <paramref name="Run"/> drives the
/// library entry points a verb would call on them. A refusal's message must contain every string of
/// <paramref name="MustName"/> (the case folder, so the file is named, and for a bad key the key).
/// <paramref name="CheckAccepted"/>, when given, checks what an accepted input produced (an invariant oracle).
/// A case with a <paramref name="Verb"/> runs that engine-cli command line instead of <paramref name="Run"/> and is
/// judged on what the user sees (<see cref="VerbOracle"/>). <paramref name="ExpectForImage"/>, when given, says what
/// must happen when the case's file is used on an image of another height and width than the library case's own.
/// </summary>
internal sealed record FuzzCase(string Mutation, Expect Expect, Action Run, IReadOnlyList<string> MustName, Action? CheckAccepted = null,
    VerbCommand? Verb = null, Func<int, int, Expect>? ExpectForImage = null)
{
    /// <summary>A case that runs an engine-cli command line.</summary>
    public static FuzzCase Command(string mutation, Expect expect, VerbCommand verb, IReadOnlyList<string> mustName, Action? checkAccepted = null) =>
        new(mutation, expect, () => { }, mustName, checkAccepted, verb);
}

/// <summary>
/// An engine-cli command line. <paramref name="Usage"/>: true when it makes no sense (a refusal must exit 2), false
/// when only its data can be wrong (a refusal must exit 1), null when either may be refused. A usage refusal must
/// name <paramref name="Flag"/> when one is given.
/// </summary>
internal sealed record VerbCommand(string[] Args, bool? Usage = false, string? Flag = null);

/// <summary>The outcome of one case; <see cref="Failure"/> is null when the case behaved.</summary>
internal sealed record FuzzResult(string Kind, int Index, string Mutation, bool Refused, long AllocatedBytes, TimeSpan Elapsed, string? Failure);
