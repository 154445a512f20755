namespace StyleAlign.Trainers.Data;

public enum ShapeKind { Circle, Square, Triangle, Star, Diamond }

public enum ShapeColor { Red, Green, Blue, Yellow, Purple, Orange }

/// <summary>The quarter of the picture a shape sits in; declared in reading order.</summary>
public enum ScenePosition { TopLeft, TopRight, BottomLeft, BottomRight }

/// <summary>One shape of a scene; centre and radius are fractions of the image side.</summary>
public sealed record SceneShape(ShapeKind Kind, ShapeColor Color, ScenePosition Position,
    double CenterX, double CenterY, double Radius)
{
    /// <summary>"red circle".</summary>
    public string NounPhrase => $"{SceneWords.Color(Color)} {SceneWords.Kind(Kind)}";
}

/// <summary>A plain background, or two tones split in halves.</summary>
public sealed record SceneBackground(string Name, byte[] Primary, byte[]? Secondary, bool SplitVertically);

/// <summary>
/// A procedural picture of one to three coloured shapes, each filling most of its own quarter of the picture. The
/// layout keeps shapes apart, so every shape named in a caption is fully visible.
/// </summary>
/// <remarks>
/// Why quarters: a vision-language model reads a picture as a grid of image tokens, and the tiny built-in Qwen2.5-VL
/// sees a 64-px picture as 2×2 tokens, one per quarter. A shape that fills most of one token is seen by that token
/// alone; small shapes scattered across token borders (the earlier layout: five anchor points, radius 0.10–0.12)
/// were split between tokens, which makes colour and kind much harder for a tiny model to name.
/// </remarks>
public sealed record SyntheticScene(IReadOnlyList<SceneShape> Shapes, SceneBackground Background)
{
    // Each shape is centred in its quarter (0.25 or 0.75 on each axis, ± jitter); radius plus jitter stays below
    // 0.25 - 0.03, so a shape keeps a margin from its quarter's edges and never touches another shape.
    private const double MinRadius = 0.17, MaxRadius = 0.20, Jitter = 0.015;

    private static readonly SceneBackground[] Backgrounds =
    [
        new("white", [245, 245, 245], null, false),
        new("gray", [170, 170, 170], null, false),
        new("black", [25, 25, 25], null, false),
        new("two-tone", [235, 235, 235], [120, 120, 120], true),
        new("two-tone", [60, 60, 60], [210, 210, 210], false),
    ];

    public static SyntheticScene Sample(DeterministicRandom rng)
    {
        int shapeCount = rng.NextInt(1, 4);
        Span<ScenePosition> positions = [ScenePosition.TopLeft, ScenePosition.TopRight, ScenePosition.BottomLeft, ScenePosition.BottomRight];
        Span<ShapeColor> colors = [ShapeColor.Red, ShapeColor.Green, ShapeColor.Blue, ShapeColor.Yellow, ShapeColor.Purple, ShapeColor.Orange];
        rng.Shuffle(positions);
        rng.Shuffle(colors);

        var shapes = new SceneShape[shapeCount];
        for (int i = 0; i < shapeCount; i++)
        {
            var kind = (ShapeKind)rng.NextInt(Enum.GetValues<ShapeKind>().Length);
            (double ax, double ay) = Anchor(positions[i]);
            shapes[i] = new SceneShape(kind, colors[i], positions[i],
                ax + rng.NextDouble(-Jitter, Jitter), ay + rng.NextDouble(-Jitter, Jitter),
                rng.NextDouble(MinRadius, MaxRadius));
        }
        // Reading order (left to right, then top to bottom) makes captions describe the picture naturally.
        Array.Sort(shapes, (a, b) => a.Position.CompareTo(b.Position));
        return new SyntheticScene(shapes, Backgrounds[rng.NextInt(Backgrounds.Length)]);
    }

    /// <summary>Renders the scene as row-major H×W×3 RGB bytes of a <paramref name="size"/>-pixel square.</summary>
    public byte[] Render(int size)
    {
        if (size < 16) throw new ArgumentOutOfRangeException(nameof(size), size, "image side must be at least 16 px");
        var rgb = new byte[size * size * 3];
        for (int y = 0; y < size; y++)
        {
            for (int x = 0; x < size; x++)
            {
                double u = (x + 0.5) / size, v = (y + 0.5) / size;
                byte[] color = BackgroundAt(u, v);
                foreach (var shape in Shapes)
                    if (ShapeGeometry.Contains(shape, u, v)) color = SceneWords.Rgb(shape.Color);
                int offset = (y * size + x) * 3;
                rgb[offset] = color[0];
                rgb[offset + 1] = color[1];
                rgb[offset + 2] = color[2];
            }
        }
        return rgb;
    }

    private byte[] BackgroundAt(double u, double v)
    {
        if (Background.Secondary is null) return Background.Primary;
        double along = Background.SplitVertically ? u : v;
        return along < 0.5 ? Background.Primary : Background.Secondary;
    }

    private static (double X, double Y) Anchor(ScenePosition position) => position switch
    {
        ScenePosition.TopLeft => (0.25, 0.25),
        ScenePosition.TopRight => (0.75, 0.25),
        ScenePosition.BottomLeft => (0.25, 0.75),
        _ => (0.75, 0.75),
    };
}

/// <summary>The words and colours shared by rendering and captions, so the two can never disagree.</summary>
public static class SceneWords
{
    public static string Kind(ShapeKind kind) => kind.ToString().ToLowerInvariant();

    public static string Color(ShapeColor color) => color.ToString().ToLowerInvariant();

    /// <summary>"at the top left", "at the bottom right".</summary>
    public static string Where(ScenePosition position) => position switch
    {
        ScenePosition.TopLeft => "at the top left",
        ScenePosition.TopRight => "at the top right",
        ScenePosition.BottomLeft => "at the bottom left",
        _ => "at the bottom right",
    };

    public static bool IsTop(ScenePosition position) => position is ScenePosition.TopLeft or ScenePosition.TopRight;

    public static byte[] Rgb(ShapeColor color) => color switch
    {
        ShapeColor.Red => [220, 40, 40],
        ShapeColor.Green => [40, 170, 60],
        ShapeColor.Blue => [40, 80, 220],
        ShapeColor.Yellow => [240, 210, 40],
        ShapeColor.Purple => [140, 60, 190],
        _ => [245, 140, 30],
    };
}

/// <summary>Point-in-shape tests in image-fraction coordinates (y grows downwards).</summary>
internal static class ShapeGeometry
{
    // Unit star: five outer points at -90°+72°k and inner points (radius 0.45) half-way between. The
    // trigonometric values are written out so rendering depends on no platform's Math.Sin.
    private static readonly (double X, double Y)[] UnitStar =
    [
        (0, -1), (0.45 * 0.5877852523, -0.45 * 0.8090169944),
        (0.9510565163, -0.3090169944), (0.45 * 0.9510565163, 0.45 * 0.3090169944),
        (0.5877852523, 0.8090169944), (0, 0.45),
        (-0.5877852523, 0.8090169944), (-0.45 * 0.9510565163, 0.45 * 0.3090169944),
        (-0.9510565163, -0.3090169944), (-0.45 * 0.5877852523, -0.45 * 0.8090169944),
    ];

    private static readonly (double X, double Y)[] UnitTriangle = [(0, -1), (0.95, 0.75), (-0.95, 0.75)];

    public static bool Contains(SceneShape shape, double u, double v)
    {
        double dx = (u - shape.CenterX) / shape.Radius, dy = (v - shape.CenterY) / shape.Radius;
        return shape.Kind switch
        {
            ShapeKind.Circle => dx * dx + dy * dy <= 1.0,
            ShapeKind.Square => Math.Abs(dx) <= 0.85 && Math.Abs(dy) <= 0.85,
            ShapeKind.Diamond => Math.Abs(dx) + Math.Abs(dy) <= 1.0,
            ShapeKind.Triangle => InsidePolygon(UnitTriangle, dx, dy),
            _ => InsidePolygon(UnitStar, dx, dy),
        };
    }

    // Even-odd ray casting; handles the star's concave outline.
    private static bool InsidePolygon((double X, double Y)[] polygon, double x, double y)
    {
        bool inside = false;
        for (int i = 0, j = polygon.Length - 1; i < polygon.Length; j = i++)
        {
            var (xi, yi) = polygon[i];
            var (xj, yj) = polygon[j];
            if ((yi > y) != (yj > y) && x < (xj - xi) * (y - yi) / (yj - yi) + xi) inside = !inside;
        }
        return inside;
    }
}
