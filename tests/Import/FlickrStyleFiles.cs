using System.Text;
using StyleAlign.Engine.Vision;

namespace StyleAlign.Tests.Import;

/// <summary>
/// A miniature FlickrStyle10k 0.9 (humor/funny_train.txt + humor/train.p, romantic/romantic_train.txt + romantic/train.p)
/// beside a miniature Flickr30k (results_20130124.token, flickr30k-images/), in exactly the published layouts.
/// </summary>
internal sealed class FlickrStyleFiles
{
    public const int Images = 7;

    public FlickrStyleFiles(string root)
    {
        StyleFolder = Path.Combine(root, "FlickrStyle_v0.9");
        Flickr30kFolder = Path.Combine(root, "flickr30k");
        Ids = Enumerable.Range(0, Images).Select(i => (1000092795L + 1000 * i).ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        // Flickr names carry the photo's secret after an underscore; Flickr30k names drop it.
        Names = Ids.Select((id, i) => $"{id}_{i:x4}abcd.jpg").ToArray();
        WriteStyle("humor", "funny_train.txt", Ids.Select((_, i) => Encoding.UTF8.GetBytes($"a dog plans a heist number {i}")).ToList());
        var romantic = Ids.Select((_, i) => Encoding.UTF8.GetBytes($"two hearts meet by the lake {i}")).ToList();
        romantic[3] = [.. "the sun"u8, 0x92, .. "s last kiss"u8]; // Windows-1252 apostrophe: not UTF-8
        WriteStyle("romantic", "romantic_train.txt", romantic);

        Directory.CreateDirectory(Path.Combine(Flickr30kFolder, "flickr30k-images"));
        var token = new StringBuilder();
        for (var i = 0; i < Images; i++)
        {
            // Caption #1 comes first in the file: the factual caption is #0 whatever the order.
            token.Append(Ids[i]).Append(".jpg#1\tAnother caption of photo ").Append(i).Append(" .\n");
            token.Append(Ids[i]).Append(".jpg#0\tA dog runs on the grass in photo ").Append(i).Append(" .\n");
            var rgb = new byte[6 * 6 * 3];
            Array.Fill(rgb, (byte)(30 * i));
            File.WriteAllBytes(ImagePath(i), PngEncoder.Encode(rgb, 6, 6));
        }
        token.Append("999.jpg#0\tA photo that is not in FlickrStyle .\n");
        File.WriteAllText(Path.Combine(Flickr30kFolder, "results_20130124.token"), token.ToString());
    }

    public string StyleFolder { get; }

    public string Flickr30kFolder { get; }

    public string[] Ids { get; }

    public string[] Names { get; }

    public string ImagePath(int i) => Path.Combine(Flickr30kFolder, "flickr30k-images", Ids[i] + ".jpg");

    public string NamesFile(string style) => Path.Combine(StyleFolder, style, "train.p");

    public string CaptionFile(string style) => Path.Combine(StyleFolder, style, style == "humor" ? "funny_train.txt" : "romantic_train.txt");

    private void WriteStyle(string style, string captionFile, List<byte[]> captions)
    {
        Directory.CreateDirectory(Path.Combine(StyleFolder, style));
        File.WriteAllBytes(NamesFile(style), PickleBytes.Protocol0(Names));
        File.WriteAllBytes(Path.Combine(StyleFolder, style, captionFile), captions.SelectMany(c => c.Append((byte)'\n')).ToArray());
    }
}
