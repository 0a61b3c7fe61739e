using System.Text.RegularExpressions;
using Tollgate.Tests.Infrastructure;

namespace Tollgate.Tests.Hosting;

/// <summary>
/// Reads the functions declared in <c>src/Tollgate.Functions</c> from its source: the project builds only where the
/// Functions worker packages restore, so the tests read what it declares instead of loading it.
/// </summary>
internal static partial class FunctionsSource
{
    /// <summary>One function of the Functions app as its source declares it.</summary>
    /// <param name="Name">The name in <c>[Function("…")]</c>.</param>
    /// <param name="Route">The HTTP trigger's route (no leading '/'), or null for a timer.</param>
    /// <param name="Methods">The HTTP trigger's methods, upper case.</param>
    /// <param name="AuthorizationLevel">The HTTP trigger's level (<c>Anonymous</c>), or null.</param>
    /// <param name="Schedule">The timer trigger's schedule, or null.</param>
    /// <param name="StringParameters">The method's <c>string</c> parameters (route parameters bind to these).</param>
    /// <param name="Handler">For an HTTP function, the Core handler it runs, <c>Type.Method</c>; null when its body is not <c>new HandlerResult(x.Method…)</c>.</param>
    /// <param name="RouteValues">The route values it passes to <c>HandlerResult</c>: name and the expression passed.</param>
    public sealed record Function(
        string File, string Name, string? Route, IReadOnlyList<string> Methods, string? AuthorizationLevel, string? Schedule,
        IReadOnlyList<string> StringParameters, string Body, string? Handler, IReadOnlyList<(string Name, string Value)> RouteValues)
    {
        public bool IsHttp => Route is not null;

        /// <summary>The parameter names in the route: <c>{id}</c>, <c>{id:int}</c>, <c>{id?}</c> and <c>{*rest}</c> all name one.</summary>
        public IReadOnlyList<string> RouteParameters => Route is null ? [] : FunctionsSource.RouteParameters(Route);
    }

    public static string ProjectDirectory => Path.Combine(RepoPaths.Root, "src", "Tollgate.Functions");

    /// <summary>The project's C# files, build output excluded.</summary>
    public static IReadOnlyList<string> Files() =>
        Directory.EnumerateFiles(ProjectDirectory, "*.cs", SearchOption.AllDirectories)
            .Where(f => !Path.GetRelativePath(ProjectDirectory, f).Split(Path.DirectorySeparatorChar).Any(part => part is "bin" or "obj"))
            .Order(StringComparer.Ordinal)
            .ToList();

    /// <summary>Every <c>[Function]</c> in the project. Throws when one is not in the shape the tests can read.</summary>
    public static IReadOnlyList<Function> Read()
    {
        var functions = new List<Function>();
        foreach (var file in Files())
        {
            var text = File.ReadAllText(file);
            var relative = Path.GetRelativePath(RepoPaths.Root, file);
            var classes = ClassRegex().Matches(text);
            var declared = FunctionAttributeRegex().Count(text);
            var matches = FunctionRegex().Matches(text);
            if (matches.Count != declared)
            {
                throw new InvalidOperationException(
                    $"{relative} declares {declared} functions but {matches.Count} read as '[Function(\"Name\")] public T Method(…) => one call;'.");
            }
            foreach (Match match in matches)
            {
                var owner = classes.LastOrDefault(c => c.Index < match.Index)
                    ?? throw new InvalidOperationException($"{relative}: function {match.Groups["name"].Value} is in no class.");
                functions.Add(Parse(relative, match, ConstructorParameters(owner.Groups["ctor"].Value)));
            }
        }
        return functions;
    }

    /// <summary>The types the function classes take in their (primary) constructors: what the host must be able to resolve.</summary>
    public static IReadOnlyList<string> Dependencies() =>
        Files().SelectMany(file => ClassRegex().Matches(File.ReadAllText(file)))
            .SelectMany(c => ConstructorParameters(c.Groups["ctor"].Value).Values)
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal)
            .ToList();

    public static IReadOnlyList<string> RouteParameters(string route) =>
        RouteParameterRegex().Matches(route).Select(m => m.Groups["name"].Value).ToList();

    private static Function Parse(string file, Match match, Dictionary<string, string> constructor)
    {
        var parameters = match.Groups["params"].Value;
        var body = match.Groups["body"].Value.Trim();

        string? route = null, level = null;
        var methods = new List<string>();
        if (HttpTriggerRegex().Match(parameters) is { Success: true } trigger)
        {
            var arguments = trigger.Groups["args"].Value;
            var routeArgument = RouteArgumentRegex().Match(arguments);
            route = routeArgument.Success ? routeArgument.Groups["route"].Value : "";
            methods.AddRange(StringLiteralRegex().Matches(RouteArgumentRegex().Replace(arguments, ""))
                .Select(m => m.Groups["value"].Value.ToUpperInvariant()));
            level = AuthorizationLevelRegex().Match(arguments) is { Success: true } found ? found.Groups["level"].Value : null;
        }
        var schedule = TimerTriggerRegex().Match(parameters) is { Success: true } timer ? timer.Groups["schedule"].Value : null;

        var strings = AttributeRegex().Replace(parameters, "").Split(',')
            .Select(p => ParameterRegex().Match(p))
            .Where(p => p.Success && p.Groups["type"].Value is "string" or "string?")
            .Select(p => p.Groups["name"].Value)
            .ToList();

        string? handler = null;
        var routeValues = new List<(string, string)>();
        if (HandlerResultRegex().Match(body) is { Success: true } call)
        {
            var target = call.Groups["target"].Value;
            // A constructor parameter names its type; otherwise the target is a type (a static handler).
            var type = constructor.TryGetValue(target, out var parameterType) ? parameterType : target;
            handler = $"{type[(type.LastIndexOf('.') + 1)..]}.{call.Groups["method"].Value}";
            routeValues.AddRange(RouteValueRegex().Matches(call.Groups["rest"].Value).Select(m => (m.Groups["name"].Value, m.Groups["value"].Value)));
        }
        return new Function(file, match.Groups["name"].Value, route, methods, level, schedule, strings, body, handler, routeValues);
    }

    /// <summary>A primary constructor's parameters: name to type.</summary>
    private static Dictionary<string, string> ConstructorParameters(string constructor) =>
        constructor.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(p => ParameterRegex().Match(p))
            .Where(p => p.Success)
            .ToDictionary(p => p.Groups["name"].Value, p => p.Groups["type"].Value, StringComparer.Ordinal);

    [GeneratedRegex("""\bclass\s+(?<name>\w+)\s*(?:\((?<ctor>[^)]*)\))?""")]
    private static partial Regex ClassRegex();

    [GeneratedRegex("""\[Function\(""")]
    private static partial Regex FunctionAttributeRegex();

    [GeneratedRegex("""\[Function\("(?<name>[^"]*)"\)\]\s*public\s+(?:static\s+)?[\w<>.?]+\s+\w+\s*\((?<params>.*?)\)\s*=>\s*(?<body>[^;]*);""", RegexOptions.Singleline)]
    private static partial Regex FunctionRegex();

    [GeneratedRegex("""\[HttpTrigger\((?<args>[^\]]*)\)\]""")]
    private static partial Regex HttpTriggerRegex();

    [GeneratedRegex("""\bRoute\s*=\s*"(?<route>[^"]*)"\s*""")]
    private static partial Regex RouteArgumentRegex();

    [GeneratedRegex("\"(?<value>[^\"]*)\"")]
    private static partial Regex StringLiteralRegex();

    [GeneratedRegex("""AuthorizationLevel\.(?<level>\w+)""")]
    private static partial Regex AuthorizationLevelRegex();

    [GeneratedRegex("""\[TimerTrigger\("(?<schedule>[^"]*)"\)\]""")]
    private static partial Regex TimerTriggerRegex();

    [GeneratedRegex("""\[[^\]]*\]""")]
    private static partial Regex AttributeRegex();

    [GeneratedRegex("""^\s*(?<type>[\w.<>?]+)\s+(?<name>\w+)\s*$""")]
    private static partial Regex ParameterRegex();

    [GeneratedRegex("""^new\s+HandlerResult\(\s*(?<target>[\w.]+)\.(?<method>\w+)\s*(?<rest>.*)\)$""", RegexOptions.Singleline)]
    private static partial Regex HandlerResultRegex();

    [GeneratedRegex("""\(\s*"(?<name>[^"]*)"\s*,\s*(?<value>[^)]*?)\s*\)""")]
    private static partial Regex RouteValueRegex();

    [GeneratedRegex("""\{\**(?<name>[A-Za-z_]\w*)""")]
    private static partial Regex RouteParameterRegex();
}
