using NUnit.Framework;

using StyleAlign.Tests.TestSupport;

namespace StyleAlign.Tests.Fuzz;

/// <summary>
/// The fuzzer's scratch space: a root folder for the run, one folder per case, seed inputs prepared once, and one
/// FIFO that "file kind" mutations link to (opening it for reading would block forever).
/// </summary>
internal sealed class FuzzWorkspace : IDisposable
{
    public FuzzWorkspace()
    {
        Root = Path.Combine(Path.GetTempPath(), "stylealign-fuzz-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(Root);
        Seeds = Directory.CreateDirectory(Path.Combine(Root, "seeds")).FullName;
        Fifo = SpecialFiles.MakeFifo(Path.Combine(Root, "fifo"));
    }

    public string Root { get; }

    /// <summary>Where targets keep the inputs they mutate.</summary>
    public string Seeds { get; }

    /// <summary>A named pipe nobody writes to, or null where mkfifo is unavailable.</summary>
    public string? Fifo { get; }

    public string CaseFolder(string kind, int index)
    {
        string folder = Path.Combine(Root, $"{kind}-{index:D6}");
        Directory.CreateDirectory(folder);
        return folder;
    }

    public void DeleteCaseFolder(string folder)
    {
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (IOException)
        {
            // A case that hung may still hold a file; the run's root is removed at the end.
        }
    }

    /// <summary>Moves a failing case's input out of the run's folder (which is deleted at the end) and says where.</summary>
    public string Keep(string folder)
    {
        string kept = Path.Combine(Path.GetTempPath(), "stylealign-fuzz-failures", $"{Path.GetFileName(Root)}-{Path.GetFileName(folder)}");
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(kept)!);
            Directory.Move(folder, kept);
            return kept;
        }
        catch (IOException)
        {
            return folder;
        }
    }

    public static string Fixture(params string[] parts) =>
        Path.Combine([TestContext.CurrentContext.TestDirectory, "fixtures", .. parts]);

    /// <summary>A random generator that depends only on the seed, the kind and the case index, so any case reruns alone.</summary>
    public static Random CaseRandom(int seed, string kind, int index)
    {
        uint hash = 2166136261;
        foreach (char c in $"{seed}:{kind}:{index}") hash = (hash ^ c) * 16777619;
        return new Random((int)hash);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
