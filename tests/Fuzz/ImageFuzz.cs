using System.Buffers.Binary;
using StyleAlign.Engine.IO;
using StyleAlign.Engine.Vision;

namespace StyleAlign.Tests.Fuzz;

/// <summary>
/// Mutated image files (PNG in several colour types, JPEG, GIF, BMP), decoded and run through both image
/// processors as the caption, training and judging paths do. Declared dimensions beyond the limits must be
/// refused before decoding; images a processor cannot take must be refused with the file named.
/// </summary>
internal sealed class ImageFuzz : IFuzzTarget
{
    private readonly FuzzWorkspace _workspace;
    private readonly (string Name, byte[] Bytes)[] _seeds;
    private readonly QwenImageProcessor _qwen;
    private readonly ClipImageProcessor _clip = new() { ShortestEdge = 32, CropHeight = 32, CropWidth = 32 };

    public ImageFuzz(FuzzWorkspace workspace)
    {
        _workspace = workspace;
        _qwen = QwenImageProcessor.Load(FuzzWorkspace.Fixture("qwen25vl_tiny", "processor"));
        _seeds =
        [
            ("rgb.png", File.ReadAllBytes(FuzzWorkspace.Fixture("qwen25vl_tiny", "processor", "img100x150.png"))),
            ("rgb2.png", File.ReadAllBytes(FuzzWorkspace.Fixture("qwen25vl_tiny", "processor", "img84x112.png"))),
            ("grey.png", File.ReadAllBytes(FuzzWorkspace.Fixture("fuzz", "seed-grey.png"))),
            ("rgba.png", File.ReadAllBytes(FuzzWorkspace.Fixture("fuzz", "seed-rgba.png"))),
            ("photo.jpg", File.ReadAllBytes(FuzzWorkspace.Fixture("fuzz", "seed.jpg"))),
            ("palette.gif", File.ReadAllBytes(FuzzWorkspace.Fixture("fuzz", "seed.gif"))),
            ("plain.bmp", File.ReadAllBytes(FuzzWorkspace.Fixture("fuzz", "seed.bmp"))),
        ];
    }

    public string Kind => "image";

    public FuzzCase Generate(Random rng, string folder)
    {
        var (name, bytes) = rng.Pick(_seeds);
        string path = Path.Combine(folder, name);
        (string Mutation, Expect Expect, byte[]? Bytes) outcome = rng.Next(12) switch
        {
            0 or 1 => DeclareSize(rng, name, bytes),
            2 => ("truncated", Expect.Either, bytes[..rng.Next(bytes.Length)]),
            3 or 4 => ("random bytes flipped", Expect.Either, Mutate.FlipBytes(bytes, rng, rng.Next(1, 6))),
            5 => ("random run of bytes overwritten", Expect.Either, Mutate.Scramble(bytes, rng)),
            6 => ("not an image", Expect.Refuse, rng.Pick(new byte[][] { [], new byte[100], "plain text, not pixels"u8.ToArray(), bytes[..8] })),
            7 => Generated(rng),
            8 => ("seed as is", Expect.Accept, bytes),
            9 => ("bytes appended", Expect.Either, [.. bytes, .. new byte[rng.Next(1, 100)]]),
            10 => Bomb(rng),
            _ => (FileKinds.Replace(path, rng, _workspace, InputFiles.MaxImageBytes), Expect.Refuse, null),
        };
        if (outcome.Bytes is not null) File.WriteAllBytes(path, outcome.Bytes);
        return new FuzzCase($"{name}: {outcome.Mutation}", outcome.Expect, () => Use(path), [folder]);
    }

    private void Use(string path)
    {
        var image = ImageDecoder.Load(path);
        _qwen.Process(image);
        _clip.Process(image);
    }

    /// <summary>Rewrites the dimensions the header declares. Beyond the pixel limit (or beyond a side the format
    /// can state) it must be refused before decoding; a moderate change leaves too little or too much data.</summary>
    private static (string, Expect, byte[]?) DeclareSize(Random rng, string name, byte[] bytes)
    {
        bool huge = rng.Next(2) == 0;
        int width = huge ? rng.Pick(new[] { 70_000, 10_000, 65_535, 1 << 30 }) : rng.Next(1, 400);
        int height = huge ? rng.Pick(new[] { 70_000, 10_000, 65_535, 9_000 }) : rng.Next(1, 400);
        var copy = (byte[])bytes.Clone();
        switch (Path.GetExtension(name))
        {
            case ".png":
                BinaryPrimitives.WriteInt32BigEndian(copy.AsSpan(16), width);
                BinaryPrimitives.WriteInt32BigEndian(copy.AsSpan(20), height);
                BinaryPrimitives.WriteUInt32BigEndian(copy.AsSpan(29), PngEncoder.Crc32(copy.AsSpan(12, 17)));
                break;
            case ".gif":
                (width, height) = (Math.Min(width, 65_535), Math.Min(height, 65_535));
                BinaryPrimitives.WriteUInt16LittleEndian(copy.AsSpan(6), (ushort)width);
                BinaryPrimitives.WriteUInt16LittleEndian(copy.AsSpan(8), (ushort)height);
                break;
            case ".bmp":
                BinaryPrimitives.WriteInt32LittleEndian(copy.AsSpan(18), width);
                BinaryPrimitives.WriteInt32LittleEndian(copy.AsSpan(22), height);
                break;
            default:
                int sof = StartOfFrame(copy);
                if (sof < 0) return ("JPEG without a frame header", Expect.Either, copy);
                (width, height) = (Math.Min(width, 65_535), Math.Min(height, 65_535));
                BinaryPrimitives.WriteUInt16BigEndian(copy.AsSpan(sof + 5), (ushort)height);
                BinaryPrimitives.WriteUInt16BigEndian(copy.AsSpan(sof + 7), (ushort)width);
                break;
        }
        bool overLimit = (long)width * height > ImageDecoder.MaxPixels;
        return ($"header declares {width}x{height}", overLimit ? Expect.Refuse : Expect.Either, copy);
    }

    private static int StartOfFrame(byte[] jpeg)
    {
        for (int i = 2; i + 9 < jpeg.Length; i++)
            if (jpeg[i] == 0xFF && jpeg[i + 1] is 0xC0 or 0xC1 or 0xC2) return i;
        return -1;
    }

    /// <summary>Real PNGs of chosen sizes: ordinary ones load; too small or too elongated for the Qwen processor are refused.</summary>
    private static (string, Expect, byte[]?) Generated(Random rng)
    {
        var (width, height, expect) = rng.Pick(new[]
        {
            (64, 64, Expect.Accept), (200, 30, Expect.Accept), (640, 480, Expect.Accept), (28, 28, Expect.Accept),
            (10, 10, Expect.Refuse), (1, 1, Expect.Refuse), (6000, 28, Expect.Refuse), (27, 500, Expect.Refuse),
        });
        var rgb = new byte[width * height * 3];
        rng.NextBytes(rgb);
        return ($"generated {width}x{height} PNG", expect, PngEncoder.Encode(rgb, width, height));
    }

    /// <summary>A tiny PNG whose one IDAT chunk claims a huge image: refused from the header, never inflated.</summary>
    private static (string, Expect, byte[]?) Bomb(Random rng)
    {
        int side = rng.Pick(new[] { 5_000, 9_000, 20_000, 46_341 });
        byte[] png = PngEncoder.Encode(new byte[3 * 4 * 4], 4, 4);
        BinaryPrimitives.WriteInt32BigEndian(png.AsSpan(16), side);
        BinaryPrimitives.WriteInt32BigEndian(png.AsSpan(20), side);
        BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(29), PngEncoder.Crc32(png.AsSpan(12, 17)));
        return ($"{side}x{side} declared in a {png.Length}-byte PNG", Expect.Refuse, png);
    }
}
