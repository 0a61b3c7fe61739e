namespace Tollgate.Tests.Harness;

public static class RepoPaths
{
    /// <summary>The repository root: the first folder above the test binaries that holds Functions.sln.</summary>
    public static string Root { get; } = FindRoot();

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Functions.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("Could not find the repository root (Functions.sln) above " + AppContext.BaseDirectory);
    }
}
