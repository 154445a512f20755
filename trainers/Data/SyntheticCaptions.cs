namespace StyleAlign.Trainers.Data;

/// <summary>
/// Caption templates for <see cref="SyntheticScene"/>. Every caption names the scene's shapes and colours,
/// so the image matters; stylized captions add a small, consistent vocabulary per style (humor: silly,
/// goofy, jokes, tiny hat, "!"; romantic: lovely, dreamy, love, heart, sunset) that a tiny model can learn.
/// Placeholders: {a} {b} {c} noun phrases of the shapes in reading order, {pa} {pb} the first shapes'
/// positions, {rel} how the first shape lies relative to the second, {bg} the background.
/// </summary>
public static partial class SyntheticCaptions
{
    public const string Humor = "humor";
    public const string Romantic = "romantic";

    /// <summary>The styles the synthetic dataset can write.</summary>
    public static IReadOnlyList<string> Styles { get; } = [Humor, Romantic];

    private static readonly string[][] FactualTemplates =
    [
        ["a {a} {pa}", "a {a} {pa} on a {bg} background", "one {a} {pa} of the picture", "a single {a} {pa}"],
        ["a {a} {rel} a {b}", "a {a} {pa} beside a {b}", "two shapes: a {a} and a {b}", "a {a} and a {b} on a {bg} background"],
        ["a {a}, a {b} and a {c}", "three shapes: a {a}, a {b} and a {c}", "a {a} {pa}, {b} and {c}"],
    ];

    private static readonly string[][] HumorTemplates =
    [
        ["a silly {a} wearing a tiny hat {pa}!", "a goofy {a} tells jokes {pa}!", "this {a} does a silly dance {pa}!",
            "a goofy {a} {pa} lost its tiny hat!", "ha! a {a} {pa} tells silly jokes!"],
        ["a silly {a} tells jokes to a goofy {b}!", "a goofy {a} and a {b} in tiny hats!",
            "a {a} laughs at a silly {b}!", "a silly {a} tickles a goofy {b}!"],
        ["a silly {a}, goofy {b} and {c} tell jokes!", "a {a}, {b} and {c} in tiny silly hats!",
            "a goofy {a} juggles a {b} and a {c}!"],
    ];

    private static readonly string[][] RomanticTemplates =
    [
        ["a lovely {a} dreaming {pa} at sunset", "a dreamy {a} {pa}, in love with sunsets",
            "a lovely {a} {pa} with a loving heart", "a {a} {pa} dreams of love at sunset"],
        ["a lovely {a} in love with a dreamy {b}", "a {a} and a {b}, two hearts at sunset",
            "a dreamy {a} gazes at a lovely {b}", "a lovely {a} gives its heart to a {b}"],
        ["a lovely {a}, {b} and {c} dreaming at sunset", "dreamy {a} and {b} in love beside a {c}",
            "three hearts: a lovely {a}, {b} and {c}"],
    ];

    public static string Factual(SyntheticScene scene, DeterministicRandom rng) => Fill(PickTemplate(FactualTemplates, scene, rng), scene);

    public static string Stylized(SyntheticScene scene, string style, DeterministicRandom rng)
    {
        string[][] templates = style switch
        {
            Humor => HumorTemplates,
            Romantic => RomanticTemplates,
            _ => throw new ArgumentException(
                $"unknown synthetic style '{style}'; expected one of: {string.Join(", ", Styles)}", nameof(style)),
        };
        return Fill(PickTemplate(templates, scene, rng), scene);
    }

    private static string PickTemplate(string[][] templates, SyntheticScene scene, DeterministicRandom rng) =>
        rng.Pick(templates[scene.Shapes.Count - 1]);

    private static string Fill(string template, SyntheticScene scene)
    {
        var shapes = scene.Shapes;
        string text = template.Replace("{bg}", scene.Background.Name);
        string[] nounKeys = ["{a}", "{b}", "{c}"];
        string[] placeKeys = ["{pa}", "{pb}", "{pc}"];
        for (int i = 0; i < shapes.Count; i++)
        {
            text = text.Replace(nounKeys[i], shapes[i].NounPhrase).Replace(placeKeys[i], SceneWords.Where(shapes[i].Position));
        }
        if (shapes.Count >= 2) text = text.Replace("{rel}", Relation(shapes[0], shapes[1]));
        // "a orange star" reads wrong; vowel-initial words take "an".
        text = VowelArticle.Replace(text, "${article}n ");
        if (text.Contains('{'))
            throw new InvalidOperationException($"caption template '{template}' needs more shapes than the scene has");
        return text;
    }

    private static readonly System.Text.RegularExpressions.Regex VowelArticle = VowelArticleRegex();

    [System.Text.RegularExpressions.GeneratedRegex(@"\b(?<article>[aA]) (?=[aeiou])")]
    private static partial System.Text.RegularExpressions.Regex VowelArticleRegex();

    // Shapes come in reading order, so the first lies left of the second when both share a row, and above it otherwise.
    private static string Relation(SceneShape first, SceneShape second) =>
        SceneWords.IsTop(first.Position) == SceneWords.IsTop(second.Position) ? "to the left of" : "above";
}

/// <summary>The instruction given to the model for each style.</summary>
public static class StylePrompts
{
    public static string For(string style) => style switch
    {
        SyntheticCaptions.Humor => "Describe this image in a humorous way.",
        SyntheticCaptions.Romantic => "Describe this image in a romantic way.",
        _ => $"Describe this image in a {style} style.",
    };

    public const string Factual = "Describe this image.";
}
