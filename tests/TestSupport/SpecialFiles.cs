using NUnit.Framework;

namespace StyleAlign.Tests.TestSupport;

/// <summary>Files that are not ordinary files (named pipes), and the repository's own files, for input-handling tests.</summary>
internal static class SpecialFiles
{
    /// <summary>Makes a named pipe at <paramref name="path"/> that nobody writes to (opening it for reading would block); null where mkfifo is missing.</summary>
    public static string? MakeFifo(string path)
    {
        if (OperatingSystem.IsWindows()) return null;
        try
        {
            using var process = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("mkfifo", [path]) { UseShellExecute = false });
            process!.WaitForExit();
            return process.ExitCode == 0 ? path : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }

    /// <summary>A named pipe in the folder, or the test is ignored where none can be made.</summary>
    public static string RequireFifo(this TempDirectory folder, string name) =>
        MakeFifo(folder.File(name)) ?? throw new IgnoreException("mkfifo is not available here, so a named pipe cannot be made");

    /// <summary>The repository's root (the folder holding StyleAlign.Engine.sln), found from the test binaries.</summary>
    public static string RepositoryRoot()
    {
        for (var folder = new DirectoryInfo(TestContext.CurrentContext.TestDirectory); folder is not null; folder = folder.Parent)
            if (File.Exists(Path.Combine(folder.FullName, "StyleAlign.Engine.sln"))) return folder.FullName;
        throw new InvalidOperationException("the tests run outside a checkout of the repository");
    }
}
