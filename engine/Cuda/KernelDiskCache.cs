using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace StyleAlign.Engine.Cuda;

/// <summary>Where a kernel image came from.</summary>
public enum KernelImageOrigin
{
    /// <summary>Compiled now; no cache file existed.</summary>
    Compiled,
    /// <summary>Read from a valid cache file.</summary>
    Cache,
    /// <summary>A cache file existed but was corrupt (bad header, length or hash), so it was compiled and rewritten.</summary>
    Rebuilt,
}

/// <summary>A family's CUBIN for one architecture and the cache file that holds it.</summary>
public sealed record KernelImage(string Family, string Architecture, string Key, byte[] Cubin, string CachePath, KernelImageOrigin Origin);

/// <summary>
/// On-disk CUBIN cache, GPU-free. A file is named by family, architecture and key — SHA-256 over the source, every
/// header, the options, the architecture and the NVRTC version — so any change compiles afresh. The file holds a
/// header (magic, format, length, SHA-256 of the CUBIN) so a truncated or damaged file is detected and rebuilt.
/// Directory: $STYLEALIGN_KERNEL_CACHE, else $XDG_CACHE_HOME/stylealign/kernels, else ~/.cache/stylealign/kernels.
/// </summary>
public static class KernelDiskCache
{
    private static readonly byte[] Magic = "SAKCUBIN"u8.ToArray();
    private const int FormatVersion = 1;
    private const int HeaderBytes = 8 + 4 + 8 + 32;

    public static string DefaultDirectory
    {
        get
        {
            var explicitDirectory = Environment.GetEnvironmentVariable("STYLEALIGN_KERNEL_CACHE");
            if (!string.IsNullOrWhiteSpace(explicitDirectory)) return explicitDirectory;
            var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
            var root = !string.IsNullOrWhiteSpace(xdg) ? xdg
                : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
            return Path.Combine(root, "stylealign", "kernels");
        }
    }

    /// <summary>The cache key (64 hex digits) of compiling <paramref name="source"/> with the embedded headers.</summary>
    public static string ComputeKey(string source, IReadOnlyList<KeyValuePair<string, string>> headers, IReadOnlyList<string> options,
        string architecture, Version nvrtcVersion)
    {
        var text = new StringBuilder();
        void Part(string label, string value) => text.Append(label).Append(':').Append(value.Length).Append(':').Append(value).Append('\n');
        Part("source", source);
        foreach (var (name, content) in headers) { Part("header-name", name); Part("header", content); }
        foreach (var option in options) Part("option", option);
        Part("arch", architecture);
        Part("nvrtc", nvrtcVersion.ToString());
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }

    /// <summary>The CUBIN of an embedded family for an architecture, from the cache when valid, else compiled and stored.</summary>
    public static KernelImage GetOrCompile(string family, string architecture, string? directory = null, IReadOnlyList<string>? options = null)
    {
        KernelCompiler.ValidateArchitecture(architecture);
        KernelCompiler.EnsureAvailable();
        options ??= KernelCompiler.DefaultOptions;
        directory ??= DefaultDirectory;
        var source = KernelSources.Source(family);
        var key = ComputeKey(source, KernelSources.Headers, options, architecture, Interop.Nvrtc.TryGetVersion()!);
        var path = Path.Combine(directory, $"{family}-{architecture}-{key[..16]}.cubin");

        var existed = File.Exists(path);
        if (existed && TryRead(path, out var cached)) return new KernelImage(family, architecture, key, cached, path, KernelImageOrigin.Cache);
        var cubin = KernelCompiler.Compile(family, architecture, options).Cubin;
        Write(path, cubin);
        return new KernelImage(family, architecture, key, cubin, path, existed ? KernelImageOrigin.Rebuilt : KernelImageOrigin.Compiled);
    }

    /// <summary>Reads a cache file; false when it is missing or fails any header, length or hash check.</summary>
    public static bool TryRead(string path, out byte[] cubin)
    {
        cubin = [];
        byte[] bytes;
        try { bytes = File.ReadAllBytes(path); }
        catch (IOException) { return false; }
        if (bytes.Length < HeaderBytes || !bytes.AsSpan(0, 8).SequenceEqual(Magic)) return false;
        if (BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(8)) != FormatVersion) return false;
        var length = BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(12));
        if (length <= 0 || length != bytes.Length - HeaderBytes) return false;
        var body = bytes.AsSpan(HeaderBytes);
        if (!SHA256.HashData(body).AsSpan().SequenceEqual(bytes.AsSpan(20, 32))) return false;
        cubin = body.ToArray();
        return true;
    }

    /// <summary>Writes a cache file atomically (temporary file in the same directory, then rename).</summary>
    public static void Write(string path, byte[] cubin)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var header = new byte[HeaderBytes];
        Magic.CopyTo(header, 0);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(8), FormatVersion);
        BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(12), cubin.Length);
        SHA256.HashData(cubin).CopyTo(header, 20);
        var temporary = $"{path}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write))
        {
            stream.Write(header);
            stream.Write(cubin);
            stream.Flush(flushToDisk: true);
        }
        File.Move(temporary, path, overwrite: true);
    }
}
