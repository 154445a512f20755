using System.Text.RegularExpressions;
using StyleAlign.Trainers.Data;

namespace StyleAlign.Trainers.Evaluation;

/// <summary>An object of a synthetic scene as captions name it: its colour and its shape.</summary>
public sealed record SceneObject(ShapeColor Color, ShapeKind Kind)
{
    /// <summary>"red circle".</summary>
    public string NounPhrase => $"{SceneWords.Color(Color)} {SceneWords.Kind(Kind)}";
}

/// <summary>
/// The objects of a synthetic example, taken from its scene or from its factual caption (every factual template names
/// each shape of the scene as "colour shape"), never from pixels; and whether a caption names them.
/// </summary>
public static partial class SceneObjects
{
    public static IReadOnlyList<SceneObject> Of(SyntheticScene scene) => scene.Shapes.Select(s => new SceneObject(s.Color, s.Kind)).ToList();

    /// <summary>The "colour shape" phrases of a caption, in order.</summary>
    public static IReadOnlyList<SceneObject> Named(string caption) =>
        ColourShape().Matches(caption).Select(m => new SceneObject(
            Enum.Parse<ShapeColor>(m.Groups["colour"].Value, ignoreCase: true),
            Enum.Parse<ShapeKind>(m.Groups["shape"].Value, ignoreCase: true))).ToList();

    /// <summary>The objects of a synthetic example read from its factual caption (none when it names no shape).</summary>
    public static IReadOnlyList<SceneObject> FromFactualCaption(string factual) => Named(factual).Distinct().ToList();

    /// <summary>True when the caption names every object by its colour word directly followed by its shape word.</summary>
    public static bool NamesEvery(IReadOnlyList<SceneObject> objects, string caption)
    {
        var named = Named(caption).ToHashSet();
        return objects.All(named.Contains);
    }

    [GeneratedRegex(@"\b(?<colour>red|green|blue|yellow|purple|orange)\s+(?<shape>circle|square|triangle|star|diamond)\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex ColourShape();
}
