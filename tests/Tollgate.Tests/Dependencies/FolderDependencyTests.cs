using System.Text;
using System.Text.RegularExpressions;
using Tollgate.Tests.Harness;

namespace Tollgate.Tests.Dependencies;

/// <summary>
/// The top-level folders of <c>Tollgate.Core</c> (its features) and its root namespace depend on each other in one
/// direction only: no pair both ways, no longer cycle. docs/architecture.md draws the graph; this holds the code to it.
/// </summary>
public sealed class FolderDependencyTests
{
    private static readonly Lazy<FolderGraph> Core = new(() => FolderGraph.Read(typeof(Tollgate.Hosting.TollgateServiceCollectionExtensions).Assembly.Location, "Tollgate"));

    [Fact]
    public void TheCoreFoldersDependOnEachOtherInOneDirectionOnly()
    {
        var graph = Core.Value;
        var cycles = graph.Cycles();
        Assert.True(cycles.Count == 0, Describe(graph, cycles));
    }

    [Fact]
    public void EveryCoreFolderIsInTheArchitectureDocAndTheReadme()
    {
        var architecture = File.ReadAllText(Path.Combine(RepoPaths.Root, "docs", "architecture.md"));
        var readme = File.ReadAllText(Path.Combine(RepoPaths.Root, "README.md"));
        var folders = Core.Value.Folders.Where(f => f != FolderGraph.Root).ToList();
        Assert.NotEmpty(folders);
        Assert.All(folders, folder =>
        {
            Assert.Contains($"`{folder}/`", architecture, StringComparison.Ordinal);
            Assert.Contains($"`{folder}/`", readme, StringComparison.Ordinal);
        });
    }

    [Fact]
    public void TheArchitectureDocsFolderTableStatesEachFoldersDependenciesInOrder()
    {
        // The table of docs/architecture.md lists the folders from the bottom up with what each depends on. Its rows are
        // the order new code must keep: a folder names only folders in rows above its own.
        var table = ReadFolderTable(File.ReadAllText(Path.Combine(RepoPaths.Root, "docs", "architecture.md")));
        var graph = Core.Value;
        Assert.Equal(graph.Folders.Where(f => f != FolderGraph.Root).Order(StringComparer.Ordinal), table.Select(r => r.Folder).Order(StringComparer.Ordinal));
        var problems = new List<string>();
        for (var i = 0; i < table.Count; i++)
        {
            var (folder, documented) = table[i];
            var actual = graph.DependenciesOf(folder).Keys.Order(StringComparer.Ordinal).ToList();
            if (!actual.SequenceEqual(documented.Order(StringComparer.Ordinal)))
            {
                problems.Add($"{folder}/ depends on [{string.Join(", ", actual)}], the doc says [{string.Join(", ", documented)}]");
            }
            var upward = actual.Where(d => !table.Take(i).Any(r => r.Folder == d)).ToList();
            if (upward.Count > 0)
            {
                problems.Add($"{folder}/ depends on [{string.Join(", ", upward)}], which the table puts below it");
            }
        }
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Fact]
    public void TheCheckSeesReferencesInBodiesClosuresAsyncMethodsAndAttributes()
    {
        // Left → Right (a local of an async method), Right → Middle (a closure's generic argument), Middle → Left (typeof in
        // an attribute), Alone → Middle: one cycle of three, and Alone outside it.
        var graph = FolderGraph.Read(typeof(FolderDependencyTests).Assembly.Location, "Tollgate.Tests.Dependencies.Sample");
        Assert.Equal(["Left", "Middle", "Right"], Assert.Single(graph.Cycles()));
        Assert.Equal(["Middle"], graph.DependenciesOf("Alone").Keys);
        Assert.Equal(["Right"], graph.DependenciesOf("Left").Keys);
        Assert.Equal(["Left"], graph.DependenciesOf("Middle").Keys);
    }

    private static List<(string Folder, List<string> DependsOn)> ReadFolderTable(string markdown)
    {
        var section = markdown[markdown.IndexOf("## The folders of `src/Tollgate.Core`", StringComparison.Ordinal)..];
        var rows = new List<(string, List<string>)>();
        foreach (var line in section.Split('\n').SkipWhile(l => !l.StartsWith("| `", StringComparison.Ordinal)).TakeWhile(l => l.StartsWith('|')))
        {
            var cells = line.Split(" | ");
            var folder = Regex.Match(cells[0], @"`(\w+)/`").Groups[1].Value;
            var dependsOn = Regex.Matches(cells[^1], @"`(\w+)/`").Select(m => m.Groups[1].Value).ToList();
            rows.Add((folder, dependsOn));
        }
        return rows;
    }

    private static string Describe(FolderGraph graph, IReadOnlyList<IReadOnlyList<string>> cycles)
    {
        var text = new StringBuilder("Folders of Tollgate.Core that depend on each other (each edge with the types that make it):");
        foreach (var cycle in cycles)
        {
            text.Append("\n  cycle: ").AppendJoin(", ", cycle);
            foreach (var from in cycle)
            {
                foreach (var (to, types) in graph.DependenciesOf(from).Where(e => cycle.Contains(e.Key)))
                {
                    text.Append("\n    ").Append(from).Append(" -> ").Append(to).Append(": ").AppendJoin(", ", types);
                }
            }
        }
        return text.ToString();
    }
}
