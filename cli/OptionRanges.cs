using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace StyleAlign.Cli;

/// <summary>
/// Range checks for numeric flags, attached to the option itself as a parser validator: a value outside the range
/// (NaN and infinities included) is a parse error — one error line naming the flag, the value and what it allows,
/// exit code 2 — before any verb runs. Every numeric flag of every verb carries one (a test walks the verb tree);
/// a flag whose every value is meaningful says so with <see cref="AnyValue{T}"/>.
/// </summary>
public static class OptionRanges
{
    /// <summary>Set on options that carry a range check (or are declared unbounded), for the test that walks the tree.</summary>
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<Option, string> Ranges = new();

    /// <summary>What a flag allows, as its range check says it ("an integer ≥ 1"); null when it has none.</summary>
    public static string? RangeOf(Option option) => Ranges.TryGetValue(option, out var range) ? range : null;

    public static Option<int> AtLeast(this Option<int> option, int min) =>
        option.Require(v => v >= min, $"an integer ≥ {min}");

    public static Option<int?> AtLeast(this Option<int?> option, int min) =>
        option.Require(v => v is not { } x || x >= min, $"an integer ≥ {min}");

    public static Option<int> Between(this Option<int> option, int min, int max) =>
        option.Require(v => v >= min && v <= max, $"an integer from {min} to {max}");

    /// <summary>A finite number &gt; 0.</summary>
    public static Option<double> Positive(this Option<double> option) =>
        option.Require(v => double.IsFinite(v) && v > 0, "a finite number > 0");

    public static Option<double?> Positive(this Option<double?> option) =>
        option.Require(v => v is not { } x || (double.IsFinite(x) && x > 0), "a finite number > 0");

    /// <summary>A finite number ≥ 0.</summary>
    public static Option<double> NonNegative(this Option<double> option) =>
        option.Require(v => double.IsFinite(v) && v >= 0, "a finite number ≥ 0");

    /// <summary>A finite number in [min, max], or [min, max) when <paramref name="maxExcluded"/>.</summary>
    public static Option<double> Between(this Option<double> option, double min, double max, bool maxExcluded = false) =>
        option.Require(v => double.IsFinite(v) && v >= min && (maxExcluded ? v < max : v <= max),
            maxExcluded ? $"a number in [{Text(min)}, {Text(max)})" : $"a number from {Text(min)} to {Text(max)}");

    /// <summary>A finite number in (min, max].</summary>
    public static Option<double> AboveUpTo(this Option<double> option, double min, double max) =>
        option.Require(v => double.IsFinite(v) && v > min && v <= max, $"a number in ({Text(min)}, {Text(max)}]");

    /// <summary>Any finite number (NaN and infinities refused).</summary>
    public static Option<double> Finite(this Option<double> option) =>
        option.Require(double.IsFinite, "a finite number");

    /// <summary>Declares that every value the parser accepts is meaningful (a seed).</summary>
    public static Option<T> AnyValue<T>(this Option<T> option)
    {
        Ranges.AddOrUpdate(option, "any value");
        return option;
    }

    /// <summary>
    /// For an option that takes several values after one flag: a value that looks like a flag is refused as one the
    /// verb does not know (the parser would otherwise read "--image a.png --no-such-flag 1" as three images).
    /// </summary>
    public static Option<string[]> NoFlagValues(this Option<string[]> option)
    {
        option.Validators.Add(result =>
        {
            if (result.Tokens.FirstOrDefault(t => t.Value.StartsWith("--", StringComparison.Ordinal)) is { } flag)
                result.AddError($"Unrecognized command or argument '{flag.Value}' (a value of {option.Name} cannot start with '--'; write ./{flag.Value} for such a file).");
        });
        return option;
    }

    /// <summary>Adds a validator refusing values for which <paramref name="allowed"/> is false, saying they must be <paramref name="expected"/>.</summary>
    public static Option<T> Require<T>(this Option<T> option, Func<T, bool> allowed, string expected)
    {
        Ranges.AddOrUpdate(option, expected);
        bool number = (Nullable.GetUnderlyingType(typeof(T)) ?? typeof(T)) is var type && (type == typeof(double) || type == typeof(float));
        option.Validators.Add(result =>
        {
            // The parser reads "1,5" as 15 (a thousands separator); a decimal comma is a mistake to report, not to guess.
            if (number && result.Tokens.FirstOrDefault(t => t.Value.Contains(',', StringComparison.Ordinal)) is { } comma)
            {
                result.AddError($"{option.Name} {comma.Value}: expected {expected}, written with '.' for decimals and no ','");
                return;
            }
            T value;
            try
            {
                value = result.GetValueOrDefault<T>()!;
            }
            catch (InvalidOperationException)
            {
                // A token the parser could not convert: it reports that itself.
                return;
            }
            if (!allowed(value))
                result.AddError($"{option.Name} {Shown(result, value)}: expected {expected}");
        });
        return option;
    }

    /// <summary>The value as the user typed it, where there is a token.</summary>
    private static string Shown<T>(OptionResult result, T value) =>
        result.Tokens.Count > 0 ? result.Tokens[^1].Value : Convert.ToString(value, CultureInfo.InvariantCulture) ?? "";

    private static string Text(double value) => value.ToString("G", CultureInfo.InvariantCulture);
}
