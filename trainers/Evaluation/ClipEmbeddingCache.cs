using System.Security.Cryptography;
using System.Text;
using StyleAlign.Engine.IO;
using StyleAlign.Engine.Models.Clip;
using StyleAlign.Engine.Vision;

namespace StyleAlign.Trainers.Evaluation;

/// <summary>
/// CLIP embeddings of images and captions, computed once and kept on disk under the CLIP's identity: images are
/// keyed by the SHA-256 of their file bytes, captions by the SHA-256 of their UTF-8 text.
/// </summary>
public sealed class ClipEmbeddingCache
{
    private const int KeyBytes = 32;
    private readonly ClipPipeline _clip;
    private readonly string? _folder;
    private readonly Dictionary<string, float[]> _images;
    private readonly Dictionary<string, float[]> _texts;
    private readonly Dictionary<string, (DateTime Written, long Length, string Hash)> _imageHashes = new(StringComparer.Ordinal);

    /// <param name="cacheRoot">folder holding one sub-folder per CLIP identity; null keeps the cache in memory only</param>
    public ClipEmbeddingCache(ClipPipeline clip, ClipIdentity identity, string? cacheRoot)
    {
        _clip = clip;
        Identity = identity;
        _folder = cacheRoot is null ? null : Path.Combine(cacheRoot, identity.Key);
        _images = Read("images.bin");
        _texts = Read("texts.bin");
    }

    public ClipIdentity Identity { get; }

    public int Dimension => _clip.Model.Config.ProjectionDim;

    /// <summary>Embeddings computed (not found in the cache) since this instance was created.</summary>
    public int Computed { get; private set; }

    /// <summary>The default cache location: the user's local application data folder.</summary>
    public static string DefaultRoot =>
        Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.Create), "stylealign", "clip-embeddings");

    public IReadOnlyList<float[]> ImageEmbeddings(IReadOnlyList<string> imagePaths)
    {
        var keys = imagePaths.Select(ImageKey).ToArray();
        return Lookup(_images, "images.bin", keys, missing => _clip.EmbedImages(missing.Select(i => ImageDecoder.Load(imagePaths[i])).ToList()));
    }

    public IReadOnlyList<float[]> TextEmbeddings(IReadOnlyList<string> captions)
    {
        var keys = captions.Select(c => Hash(Encoding.UTF8.GetBytes(c))).ToArray();
        return Lookup(_texts, "texts.bin", keys, missing => _clip.EmbedTexts(missing.Select(i => captions[i]).ToList()));
    }

    private float[][] Lookup(Dictionary<string, float[]> store, string fileName, string[] keys, Func<IReadOnlyList<int>, float[][]> compute)
    {
        var missing = new List<int>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < keys.Length; i++)
            if (!store.ContainsKey(keys[i]) && seen.Add(keys[i])) missing.Add(i);
        if (missing.Count > 0)
        {
            var embeddings = compute(missing);
            for (var j = 0; j < missing.Count; j++) store[keys[missing[j]]] = embeddings[j];
            Computed += missing.Count;
            Write(store, fileName);
        }
        return keys.Select(k => store[k]).ToArray();
    }

    /// <summary>The content hash of an image file, re-read only when its size or write time changed (evaluation
    /// asks for the same image once per caption).</summary>
    private string ImageKey(string path)
    {
        var info = new FileInfo(path);
        if (!info.Exists) throw new FileNotFoundException($"image '{path}' does not exist", path);
        if (_imageHashes.TryGetValue(path, out var known) && known.Written == info.LastWriteTimeUtc && known.Length == info.Length) return known.Hash;
        var hash = Hash(InputFiles.ReadAllBytes(path, InputFiles.MaxImageBytes, "image"));
        _imageHashes[path] = (info.LastWriteTimeUtc, info.Length, hash);
        return hash;
    }

    private static string Hash(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    /// <summary>File layout: records of [32-byte key][Dimension float32], little-endian.</summary>
    private Dictionary<string, float[]> Read(string fileName)
    {
        var store = new Dictionary<string, float[]>(StringComparer.Ordinal);
        if (_folder is null) return store;
        var path = Path.Combine(_folder, fileName);
        if (!File.Exists(path)) return store;
        var bytes = File.ReadAllBytes(path);
        var record = KeyBytes + Dimension * sizeof(float);
        if (bytes.Length % record != 0)
            throw new InvalidDataException($"{path}: {bytes.Length} bytes is not a whole number of {record}-byte records for {Dimension}-dim embeddings; delete the file to rebuild it");
        for (var offset = 0; offset < bytes.Length; offset += record)
        {
            var key = Convert.ToHexStringLower(bytes.AsSpan(offset, KeyBytes));
            store[key] = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(bytes.AsSpan(offset + KeyBytes, Dimension * sizeof(float))).ToArray();
        }
        return store;
    }

    private void Write(Dictionary<string, float[]> store, string fileName)
    {
        if (_folder is null) return;
        Directory.CreateDirectory(_folder);
        using var buffer = new MemoryStream();
        foreach (var (key, embedding) in store)
        {
            buffer.Write(Convert.FromHexString(key));
            buffer.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(embedding.AsSpan()));
        }
        StyleAlign.Engine.IO.AtomicFile.WriteAllBytes(Path.Combine(_folder, fileName), buffer.ToArray());
    }
}
