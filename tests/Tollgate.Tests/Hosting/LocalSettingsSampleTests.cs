using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Tollgate.Admin;
using Tollgate.Billing;
using Tollgate.Hosting;
using Tollgate.Jobs;
using Tollgate.Keys;
using Tollgate.Pricing;
using Tollgate.Proxy;
using Tollgate.Quota;
using Tollgate.Routing;
using Tollgate.Storage;
using Tollgate.Tests.Harness;
using Tollgate.Upstreams;
using Tollgate.Usage;

namespace Tollgate.Tests.Hosting;

/// <summary>
/// <c>local.settings.sample.json</c>, copied to <c>src/Tollgate.Functions/local.settings.json</c> for <c>func start</c>:
/// every Tollgate setting in it is one the options read, the Functions app starts with it, and it runs the same
/// local setup as the standalone host's <c>appsettings.Development.json</c>.
/// </summary>
public sealed class LocalSettingsSampleTests
{
    private const string DevKey = "tg-dev-local-0000000000000000";

    /// <summary>The settings the Functions host and its worker read themselves (everything else is Tollgate's).</summary>
    private static readonly string[] HostSettings = ["AzureWebJobsStorage", "FUNCTIONS_WORKER_RUNTIME", "TOLLGATE_AGGREGATION_SCHEDULE"];

    /// <summary>
    /// The sections that bind to their own options class; the rest of <c>Tollgate</c> binds to one of
    /// <see cref="TopLevel"/>.
    /// </summary>
    private static readonly (string Section, Type Options)[] Sections =
    [
        (StorageOptions.Section, typeof(StorageOptions)),
        (UsageLedgerOptions.Section, typeof(UsageLedgerOptions)),
        (AdminOptions.Section, typeof(AdminOptions)),
        (TokenizerOptions.Section, typeof(TokenizerOptions)),
        (PricingOptions.Section, typeof(PricingOptions)),
        (BillingOptions.Section, typeof(BillingOptions)),
        (QuotaOptions.Section, typeof(QuotaOptions)),
    ];

    /// <summary>The options classes bound at the top of the <c>Tollgate</c> section, each taking its own settings.</summary>
    private static readonly Type[] TopLevel = [typeof(ProxyOptions), typeof(RoutingOptions), typeof(KeysOptions), typeof(UpstreamClientOptions)];

    [Fact]
    public async Task TheSample_IsLocalSettings_ForTheIsolatedWorker_WithAzuriteAndTheAggregationSchedule()
    {
        using var sample = JsonDocument.Parse(File.ReadAllText(Path.Combine(RepoPaths.Root, "local.settings.sample.json")));
        Assert.False(sample.RootElement.GetProperty("IsEncrypted").GetBoolean());
        Assert.All(sample.RootElement.GetProperty("Values").EnumerateObject(), p => Assert.Equal(JsonValueKind.String, p.Value.ValueKind));

        var values = Values();
        Assert.Equal("UseDevelopmentStorage=true", values["AzureWebJobsStorage"]);
        Assert.Equal("dotnet-isolated", values["FUNCTIONS_WORKER_RUNTIME"]);
        Assert.Equal("0 */5 * * * *", values["TOLLGATE_AGGREGATION_SCHEDULE"]);
        // The timer's %setting% is in the sample, so func start can resolve it.
        await using var services = Services();
        var schedule = Assert.Single(FunctionsApp.Read(services), f => f.Schedule is not null).Schedule!;
        Assert.Contains(schedule.Trim('%'), values.Keys);
        Assert.All(values.Keys, k => Assert.True(k.StartsWith("Tollgate__", StringComparison.Ordinal) || HostSettings.Contains(k), $"{k} is read by nobody"));
    }

    [Fact]
    public void TheSample_HoldsTheDevKey_AndEveryDevelopmentSettingOfTheStandaloneHost()
    {
        var settings = Settings();
        var key = Enumerable.Range(0, 10).Single(i => settings.GetValueOrDefault($"Tollgate:Keys:{i}:Key") == DevKey);
        Assert.Equal("dev", settings[$"Tollgate:Keys:{key}:Id"]);

        using var development = JsonDocument.Parse(File.ReadAllText(Path.Combine(RepoPaths.Root, "src", "Tollgate.Server", "appsettings.Development.json")));
        var expected = new Dictionary<string, string>(StringComparer.Ordinal);
        Flatten(development.RootElement, "", expected);
        Assert.NotEmpty(expected);
        Assert.All(expected, setting =>
        {
            Assert.True(settings.TryGetValue(setting.Key, out var value), $"{setting.Key} (appsettings.Development.json) is missing from local.settings.sample.json");
            Assert.True(SameValue(setting.Value, value), $"{setting.Key} is '{value}' in local.settings.sample.json, '{setting.Value}' in appsettings.Development.json");
        });
    }

    [Fact]
    public void EveryTollgateSetting_BindsToAnOption()
    {
        Assert.Empty(Unbound(Settings()));
    }

    [Fact]
    public void AMisspelledSetting_IsCaughtByTheSameCheck()
    {
        var settings = Settings();
        settings["Tollgate:Keys:0:Bugdet:Amount"] = "5";
        settings["Tollgate:Billing:Prices:0:OutputPerMilion"] = "1";
        settings["Tollgate:MaxRequestBodyByte"] = "1";
        var unbound = Unbound(settings);
        Assert.Equal(3, unbound.Count);
        Assert.Contains(unbound, u => u.Contains("Bugdet", StringComparison.Ordinal));
        Assert.Contains(unbound, u => u.Contains("OutputPerMilion", StringComparison.Ordinal));
        Assert.Contains(unbound, u => u.Contains("MaxRequestBodyByte", StringComparison.Ordinal));
    }

    [Fact]
    public async Task TheFunctionsApp_StartsWithTheSample_AndCanBuildEveryFunction()
    {
        await using var services = Services();

        services.GetRequiredService<IStartupValidator>().Validate();
        Assert.Equal(DevKey, services.GetRequiredService<IOptions<KeysOptions>>().Value.Keys.Single(k => k.Id == "dev").Key);
        Assert.Equal(5m, services.GetRequiredService<IOptions<KeysOptions>>().Value.Keys.Single(k => k.Id == "dev").Budget!.Amount);
        Assert.True(services.GetRequiredService<IOptions<StorageOptions>>().Value.IsConfigured);
        Assert.Equal(4, services.GetRequiredService<IOptions<PricingOptions>>().Value.Prices.Count);
        Assert.Single(services.GetRequiredService<IOptions<AdminOptions>>().Value.Keys);
        _ = services.GetRequiredService<IOptions<QuotaOptions>>().Value;
        _ = services.GetRequiredService<IOptions<UsageLedgerOptions>>().Value;
        _ = services.GetRequiredService<IOptions<TokenizerOptions>>().Value;

        // What the function classes take in their constructors (the timer's ScheduledJob needs storage, which the sample configures).
        var dependencies = FunctionsApp.Dependencies();
        Assert.Contains(typeof(ScheduledJob), dependencies);
        foreach (var type in dependencies)
        {
            Assert.NotNull(services.GetRequiredService(type));
        }
    }

    /// <summary>The Functions app's services as its Program.cs composes them: the settings as environment variables, then AddTollgate.</summary>
    private static ServiceProvider Services() =>
        new ServiceCollection().AddLogging().AddTollgate(new ConfigurationBuilder().AddInMemoryCollection(Settings()).Build()).BuildServiceProvider();

    /// <summary>The sample's values, as the worker's environment variables.</summary>
    private static Dictionary<string, string?> Values()
    {
        using var sample = JsonDocument.Parse(File.ReadAllText(Path.Combine(RepoPaths.Root, "local.settings.sample.json")));
        return sample.RootElement.GetProperty("Values").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString(), StringComparer.Ordinal);
    }

    /// <summary>The values as configuration: the environment-variable provider reads '__' as ':'.</summary>
    private static Dictionary<string, string?> Settings() =>
        Values().ToDictionary(v => v.Key.Replace("__", ":", StringComparison.Ordinal), v => v.Value, StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// Binds each section to its options classes refusing unknown keys: a setting no option reads (a typo, a removed
    /// option) is reported with its path, as is a value that does not convert. A section bound by two classes
    /// (<c>Tollgate:Billing</c>: pricing and aggregation) refuses a key only when both do.
    /// </summary>
    private static List<string> Unbound(Dictionary<string, string?> settings)
    {
        var tollgate = settings.Where(s => s.Key.StartsWith(ProxyOptions.Section + ":", StringComparison.OrdinalIgnoreCase)).ToList();
        var problems = new List<string>();
        // A section may be read by several classes (Tollgate:Billing by BillingOptions and PricingOptions): a setting
        // there must be one of theirs. One key at a time, so that every unknown key is reported, not only the first.
        foreach (var classes in Sections.GroupBy(s => s.Section, StringComparer.OrdinalIgnoreCase))
        {
            foreach (var setting in tollgate.Where(s => s.Key.StartsWith(classes.Key + ":", StringComparison.OrdinalIgnoreCase)))
            {
                var errors = classes.Select(c => BindError(setting, classes.Key, c.Options)).ToList();
                if (errors.All(e => e is not null))
                {
                    problems.Add($"{setting.Key}: {string.Join(" / ", errors)}");
                }
            }
        }
        // The rest is the top of the section: a setting there must be one of the top-level classes'.
        foreach (var setting in tollgate.Where(s => !Sections.Any(other => s.Key.StartsWith(other.Section + ":", StringComparison.OrdinalIgnoreCase))))
        {
            var errors = TopLevel.Select(options => BindError(setting, ProxyOptions.Section, options)).ToList();
            if (errors.All(e => e is not null))
            {
                problems.Add($"{setting.Key}: {string.Join(" / ", errors)}");
            }
        }
        return problems;
    }

    /// <summary>Why <paramref name="setting"/> does not bind to <paramref name="options"/> (unknown key, or a value that does not convert), or null.</summary>
    private static string? BindError(KeyValuePair<string, string?> setting, string section, Type options)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection([setting]).Build();
        try
        {
            configuration.GetSection(section).Get(options, o => o.ErrorOnUnknownConfiguration = true);
            return null;
        }
        catch (InvalidOperationException e)
        {
            return e.Message;
        }
    }

    private static void Flatten(JsonElement element, string path, Dictionary<string, string> into)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    Flatten(property.Value, path.Length == 0 ? property.Name : $"{path}:{property.Name}", into);
                }
                break;
            case JsonValueKind.Array:
                var index = 0;
                foreach (var item in element.EnumerateArray())
                {
                    Flatten(item, $"{path}:{index++}", into);
                }
                break;
            case JsonValueKind.String:
                into[path] = element.GetString()!;
                break;
            default:
                into[path] = element.GetRawText();
                break;
        }
    }

    private static bool SameValue(string expected, string? actual) =>
        string.Equals(expected, actual, StringComparison.Ordinal)
        || (decimal.TryParse(expected, NumberStyles.Float, CultureInfo.InvariantCulture, out var a)
            && decimal.TryParse(actual, NumberStyles.Float, CultureInfo.InvariantCulture, out var b) && a == b)
        || (bool.TryParse(expected, out var x) && bool.TryParse(actual, out var y) && x == y);
}
