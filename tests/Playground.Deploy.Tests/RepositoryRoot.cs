namespace Playground.Deploy.Tests;

/// <summary>The checkout these tests run from: deployment files are read where they are committed.</summary>
internal static class RepositoryRoot
{
    public static string Path { get; } = Find();

    public static string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "GoPlay.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("GoPlay.slnx not found above " + AppContext.BaseDirectory);
    }
}
