using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.DependencyInjection;
using Tollgate.Functions;

namespace Tollgate.Tests.Hosting;

/// <summary>
/// Reads the functions of <c>src/Tollgate.Functions</c> from its assembly: the <c>[Function]</c> methods, their
/// triggers' attributes, and, for an HTTP function, the <see cref="HandlerResult"/> it returns when called.
/// </summary>
internal static partial class FunctionsApp
{
    /// <summary>One function of the Functions app as its assembly declares it.</summary>
    /// <param name="Method">The method that carries <c>[Function("…")]</c>.</param>
    /// <param name="Name">The name in <c>[Function("…")]</c>.</param>
    /// <param name="Route">The HTTP trigger's route (no leading '/'; empty when it sets none), or null for a timer.</param>
    /// <param name="Methods">The HTTP trigger's methods, upper case.</param>
    /// <param name="AuthorizationLevel">The HTTP trigger's level (<c>Anonymous</c>), or null.</param>
    /// <param name="Schedule">The timer trigger's schedule, or null.</param>
    /// <param name="StringParameters">The method's <c>string</c> parameters (route parameters bind to these).</param>
    /// <param name="Returned">What calling it gave: the result's type, or the exception it threw.</param>
    /// <param name="Handler">For an HTTP function, the Core handler it runs, <c>Type.Method</c>; null when it does not return a <see cref="HandlerResult"/>.</param>
    /// <param name="RouteValues">The route values it passes to <see cref="HandlerResult"/>: the name, and the method parameter whose value it passes (or the value itself, quoted, when it is none of them).</param>
    public sealed record Function(
        MethodInfo Method, string Name, string? Route, IReadOnlyList<string> Methods, string? AuthorizationLevel, string? Schedule,
        IReadOnlyList<string> StringParameters, string Returned, string? Handler, IReadOnlyList<(string Name, string Value)> RouteValues)
    {
        /// <summary>Where it is declared: <c>Class.Method</c>.</summary>
        public string Declaration => $"{Method.DeclaringType!.Name}.{Method.Name}";

        public bool IsHttp => Route is not null;

        /// <summary>The parameter names in the route: <c>{id}</c>, <c>{id:int}</c>, <c>{id?}</c> and <c>{*rest}</c> all name one.</summary>
        public IReadOnlyList<string> RouteParameters => Route is null ? [] : FunctionsApp.RouteParameters(Route);

        public override string ToString() => $"{Name} ({Declaration})";
    }

    /// <summary>The Functions app's assembly.</summary>
    public static Assembly Assembly => typeof(HandlerResult).Assembly;

    /// <summary>The classes that declare functions.</summary>
    public static IReadOnlyList<Type> Classes() =>
        Assembly.GetTypes()
            .Where(t => t.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly).Any(IsFunction))
            .OrderBy(t => t.FullName, StringComparer.Ordinal)
            .ToList();

    /// <summary>
    /// Every <c>[Function]</c> in the assembly. Each HTTP function is called, on an instance its class gets from
    /// <paramref name="services"/> (what <c>AddTollgate</c> registers), with each string parameter given a value of its
    /// own, to see what it returns.
    /// </summary>
    public static IReadOnlyList<Function> Read(IServiceProvider services)
    {
        var functions = new List<Function>();
        foreach (var type in Classes())
        {
            foreach (var method in type.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly).Where(IsFunction))
            {
                functions.Add(Parse(method, services));
            }
        }
        return functions;
    }

    /// <summary>The types the function classes take in their constructors: what the host must be able to resolve.</summary>
    public static IReadOnlyList<Type> Dependencies() =>
        Classes().SelectMany(t => t.GetConstructors())
            .SelectMany(c => c.GetParameters())
            .Select(p => p.ParameterType)
            .Distinct()
            .OrderBy(t => t.FullName, StringComparer.Ordinal)
            .ToList();

    public static IReadOnlyList<string> RouteParameters(string route) =>
        RouteParameterRegex().Matches(route).Select(m => m.Groups["name"].Value).ToList();

    private static bool IsFunction(MethodInfo method) => method.GetCustomAttribute<FunctionAttribute>() is not null;

    private static Function Parse(MethodInfo method, IServiceProvider services)
    {
        var name = method.GetCustomAttribute<FunctionAttribute>()!.Name;
        var parameters = method.GetParameters();

        string? route = null, level = null;
        var methods = new List<string>();
        if (parameters.Select(p => p.GetCustomAttribute<HttpTriggerAttribute>()).SingleOrDefault(a => a is not null) is { } trigger)
        {
            route = trigger.Route ?? "";
            methods.AddRange((trigger.Methods ?? []).Select(m => m.ToUpperInvariant()));
            level = trigger.AuthLevel.ToString();
        }
        var schedule = parameters.Select(p => p.GetCustomAttribute<TimerTriggerAttribute>()).SingleOrDefault(a => a is not null)?.Schedule;

        var strings = parameters.Where(p => p.ParameterType == typeof(string)).Select(p => p.Name!).ToList();

        var returned = "";
        string? handler = null;
        var routeValues = new List<(string, string)>();
        if (route is not null)
        {
            // A value no function would pass by itself, so that each value passed on names the parameter it came from.
            var values = strings.ToDictionary(p => $"(the value of {p})", p => p, StringComparer.Ordinal);
            var arguments = parameters.Select(p =>
                p.ParameterType == typeof(HttpRequest) ? new DefaultHttpContext().Request
                : p.ParameterType == typeof(string) ? $"(the value of {p.Name})"
                : p.ParameterType == typeof(CancellationToken) ? CancellationToken.None
                : (object?)null).ToArray();
            try
            {
                var target = method.IsStatic ? null : ActivatorUtilities.CreateInstance(services, method.DeclaringType!);
                var result = method.Invoke(target, arguments);
                returned = result?.GetType().Name ?? "null";
                if (result is HandlerResult call)
                {
                    handler = $"{call.Handler.Method.DeclaringType!.Name}.{call.Handler.Method.Name}";
                    routeValues.AddRange(call.RouteValues.Select(v => (v.Name, v.Value is not null && values.TryGetValue(v.Value, out var parameter) ? parameter : $"\"{v.Value}\"")));
                }
            }
            catch (Exception e) when (e is TargetInvocationException or InvalidOperationException)
            {
                returned = $"threw {(e as TargetInvocationException)?.InnerException ?? e}";
            }
        }
        return new Function(method, name, route, methods, level, schedule, strings, returned, handler, routeValues);
    }

    [GeneratedRegex("""\{\**(?<name>[A-Za-z_]\w*)""")]
    private static partial Regex RouteParameterRegex();
}
