using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using Tollgate.Routing;
using Tollgate.Tests.Harness;
using Tollgate.Upstreams;

namespace Tollgate.Tests.Infra;

/// <summary>
/// infra/ (Azure Developer CLI layout): the Bicep compiles and lints clean with the security rules at error
/// level, and the compiled template, evaluated for representative parameter values, creates what the
/// deployment promises: identity-only access to storage, Key Vault and Application Insights, secrets only
/// as Key Vault references, least-privilege role assignments, and a Flex Consumption app without the
/// settings that plan rejects.
/// </summary>
public sealed partial class BicepTests(CompiledInfra infra) : IClassFixture<CompiledInfra>
{
    // Stands in for the secure parameter adminKeyHash, so its every use can be traced.
    private const string AdminKeyHashSentinel = "5ecu4e0a-dm1n-4ash-sent-1ne1f0rtest5";
    private const string DeployerObjectId = "0a1b2c3d-0000-4000-8000-00000000d3b1";
    private const string EnvironmentName = "ci-env";

    private const string StorageBlobDataOwner = "b7e6dc6d-f1e8-4753-8033-0f276bb0955b";
    private const string StorageQueueDataContributor = "974c5e8b-45b9-4653-ba55-5f855dd0fb88";
    private const string StorageTableDataContributor = "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3";
    private const string KeyVaultSecretsUser = "4633458b-17de-408a-b874-0445c86b69e6";
    private const string KeyVaultSecretsOfficer = "b86a8fe4-44ce-4948-aee5-eccb2c155cd7";
    private const string MonitoringMetricsPublisher = "3913510d-42f4-4e42-8a64-420c390055eb";
    private const string CognitiveServicesOpenAiUser = "5e0bd9bd-7b93-4f28-af87-19fc36ad61bd";

    // An Azure OpenAI account in another subscription and resource group than Tollgate's, spelt as the portal shows it.
    private const string AoaiSubscription = "7d2f0c1e-0000-4000-8000-00000000a0a1";
    private const string AoaiResourceGroup = "rg-AI-Shared";
    private const string AoaiResourceId =
        $"/subscriptions/{AoaiSubscription}/resourceGroups/{AoaiResourceGroup}/providers/Microsoft.CognitiveServices/accounts/Contoso-AOAI";

    private static readonly string[] SecurityRules =
    [
        "secure-secrets-in-params",
        "outputs-should-not-contain-secrets",
        "use-secure-value-for-secure-inputs",
        "protect-commandtoexecute-secrets",
        "no-hardcoded-env-urls",
        "adminusername-should-not-be-literal",
        "use-resource-symbol-reference",
        "secure-params-in-nested-deploy",
        "secure-parameter-default",
        "no-unused-params",
        "no-unused-vars",
        "use-recent-api-versions",
        "use-stable-resource-identifiers",
    ];

    // Settings Flex Consumption rejects or ignores (functions-app-settings, Flex Consumption plan deprecations).
    private static readonly string[] FlexForbiddenSettings =
    [
        "ENABLE_ORYX_BUILD", "FUNCTIONS_EXTENSION_VERSION", "FUNCTIONS_WORKER_RUNTIME", "FUNCTIONS_WORKER_RUNTIME_VERSION",
        "FUNCTIONS_MAX_HTTP_CONCURRENCY", "FUNCTIONS_WORKER_PROCESS_COUNT", "FUNCTIONS_WORKER_DYNAMIC_CONCURRENCY_ENABLED",
        "SCM_DO_BUILD_DURING_DEPLOYMENT", "WEBSITE_CONTENTAZUREFILECONNECTIONSTRING", "WEBSITE_CONTENTOVERVNET", "WEBSITE_CONTENTSHARE",
        "WEBSITE_DNS_SERVER", "WEBSITE_MAX_DYNAMIC_APPLICATION_SCALE_OUT", "WEBSITE_NODE_DEFAULT_VERSION", "WEBSITE_RUN_FROM_PACKAGE",
        "WEBSITE_SKIP_CONTENTSHARE_VALIDATION", "WEBSITE_VNET_ROUTE_ALL",
    ];

    private static readonly string[] FlexForbiddenSiteConfig =
    [
        "alwaysOn", "ftpsState", "linuxFxVersion", "windowsFxVersion", "netFrameworkVersion", "javaVersion", "powerShellVersion",
        "functionAppScaleLimit", "preWarmedInstanceCount", "use32BitWorkerProcess", "minimumElasticInstanceCount",
    ];

    public static TheoryData<string> HostingPlans => ["FlexConsumption", "ElasticPremium"];

    /// <summary>Every parameter set the template is evaluated with: name → values.</summary>
    public static TheoryData<string> ParameterSets => ["minimal", "flex", "elastic-premium"];

    private static Dictionary<string, object?> Parameters(string set) => set switch
    {
        "minimal" => new() { ["environmentName"] = EnvironmentName },
        "flex" => Full("FlexConsumption"),
        "elastic-premium" => Full("ElasticPremium"),
        _ => throw new ArgumentOutOfRangeException(nameof(set)),
    };

    private static Dictionary<string, object?> Full(string hostingPlan) => new()
    {
        ["environmentName"] = EnvironmentName,
        ["location"] = "westeurope",
        ["principalId"] = DeployerObjectId,
        ["hostingPlan"] = hostingPlan,
        ["adminKeyHash"] = AdminKeyHashSentinel,
        ["maximumInstanceCount"] = 250,
        ["instanceMemoryMB"] = 4096,
        ["perInstanceConcurrency"] = 24,
        ["alwaysReadyInstanceCount"] = 2,
        ["elasticPremiumSku"] = "EP2",
        ["tablePrefix"] = "acme",
        ["upstreams"] = new object?[]
        {
            new Dictionary<string, object?>
            {
                ["name"] = "openai",
                ["baseUrl"] = "https://api.openai.com",
                ["models"] = new Dictionary<string, object?> { ["gpt-4o-mini"] = "gpt-4o-mini", ["gpt-4.1"] = "gpt-4.1-2025-04-14" },
            },
            new Dictionary<string, object?>
            {
                ["name"] = "local",
                ["baseUrl"] = "https://llm.example.internal",
                ["pathStyle"] = "ApiV1",
                ["authStyle"] = "None",
                ["envelope"] = true,
                ["models"] = new Dictionary<string, object?> { ["small"] = "small@reasoning" },
            },
        },
    };

    [Fact]
    public void Main_bicep_builds_without_errors_or_warnings()
    {
        var build = infra.Build;
        Assert.True(build.ExitCode == 0, "bicep build failed: " + build.Describe());
        Assert.True(build.Diagnostics.Count == 0, "bicep build reported:\n" + string.Join('\n', build.Diagnostics));
        // Resource-group scope, so `az deployment group create` deploys it as it is.
        Assert.EndsWith("/deploymentTemplate.json#", infra.Template.GetProperty("$schema").GetString());
        Assert.Contains("targetScope = 'resourceGroup'", File.ReadAllText(InfraFile("main.bicep")));
    }

    [Fact]
    public async Task Every_bicep_file_lints_clean()
    {
        var lint = await BicepCli.RunAsync("lint", "--pattern", "infra/**/*.bicep");
        Assert.True(lint.ExitCode == 0 && lint.Diagnostics.Count == 0, "bicep lint reported:\n" + lint.Describe());
    }

    [Fact]
    public void Bicep_config_raises_the_security_rules_to_error()
    {
        using var config = JsonDocument.Parse(File.ReadAllText(InfraFile("bicepconfig.json")));
        var core = config.RootElement.GetProperty("analyzers").GetProperty("core");
        Assert.False(core.TryGetProperty("enabled", out var enabled) && enabled.ValueKind == JsonValueKind.False, "the linter is turned off");
        var rules = core.GetProperty("rules");
        foreach (var rule in SecurityRules)
        {
            Assert.True(rules.TryGetProperty(rule, out var settings), $"{rule} is not configured");
            Assert.True(settings.GetProperty("level").GetString() == "error", $"{rule} is {settings.GetProperty("level")}, not error");
        }
        Assert.InRange(rules.GetProperty("use-recent-api-versions").GetProperty("maxAgeInDays").GetInt32(), 0, 730);
        // A bicepconfig.json nearer to a module would replace this one for that module.
        var configs = Directory.GetFiles(Path.Combine(RepoPaths.Root, "infra"), "bicepconfig.json", SearchOption.AllDirectories);
        Assert.Equal(new[] { InfraFile("bicepconfig.json") }, configs);
    }

    [Fact]
    public void Storage_refuses_shared_keys_and_public_access_and_holds_tollgates_tables()
    {
        var deployment = infra.Evaluate(Parameters("flex"));
        var account = Single(deployment, "Microsoft.Storage/storageAccounts");
        var props = account.Properties;
        Expect(false, props["allowSharedKeyAccess"]);
        Expect(false, props["allowBlobPublicAccess"]);
        Assert.Equal("TLS1_2", props["minimumTlsVersion"]);
        Expect(true, props["supportsHttpsTrafficOnly"]);
        Expect(true, props["defaultToOAuthAuthentication"]);

        var container = Single(deployment, "Microsoft.Storage/storageAccounts/blobServices/containers");
        Assert.StartsWith(account.Name + "/", container.Name);
        Assert.Equal("None", container.Properties["publicAccess"]);

        var tables = deployment.AllResources().Where(r => r.Type == "Microsoft.Storage/storageAccounts/tableServices/tables").ToList();
        Assert.All(tables, t => Assert.StartsWith(account.Name + "/default/", t.Name));
        Assert.Equal(
            new[] { "keys", "usage", "prices", "rollups", "quotas", "budgets" }.Select(t => "acme" + t).Order(),
            tables.Select(t => t.ShortName).Order());
        Assert.Equal("acme", Settings(deployment)["Tollgate__Storage__TablePrefix"]);

        var minimal = infra.Evaluate(Parameters("minimal"));
        Assert.Contains("tollgatebudgets", minimal.AllResources().Select(r => r.ShortName));
        Assert.Equal("tollgate", Settings(minimal)["Tollgate__Storage__TablePrefix"]);
    }

    [Theory]
    [MemberData(nameof(HostingPlans))]
    public void Function_app_is_https_only_with_tls_1_2_and_no_basic_auth_publishing(string hostingPlan)
    {
        var deployment = infra.Evaluate(Full(hostingPlan));
        var site = Single(deployment, "Microsoft.Web/sites");
        Expect(true, site.Properties["httpsOnly"]);
        var siteConfig = ArmValue.Object(site.Properties["siteConfig"], "siteConfig");
        Assert.Contains(siteConfig["minTlsVersion"], new object[] { "1.2", "1.3" });
        Assert.Contains(siteConfig["scmMinTlsVersion"], new object[] { "1.2", "1.3" });

        var policies = deployment.AllResources().Where(r => r.Type == "Microsoft.Web/sites/basicPublishingCredentialsPolicies").ToList();
        Assert.Equal(new[] { "ftp", "scm" }, policies.Select(p => p.ShortName).Order());
        Assert.All(policies, p =>
        {
            Assert.Equal(site.Name + "/" + p.ShortName, p.Name);
            Expect(false, p.Properties["allow"]);
        });
        if (hostingPlan == "ElasticPremium")
        {
            Assert.Equal("Disabled", siteConfig["ftpsState"]);
        }
    }

    [Fact]
    public void Flex_runs_dotnet_isolated_10_deployed_from_a_container_read_as_the_identity()
    {
        var deployment = infra.Evaluate(Parameters("flex"));
        var identity = Single(deployment, "Microsoft.ManagedIdentity/userAssignedIdentities");
        var account = Single(deployment, "Microsoft.Storage/storageAccounts");
        var container = Single(deployment, "Microsoft.Storage/storageAccounts/blobServices/containers");
        var plan = Single(deployment, "Microsoft.Web/serverfarms");
        Assert.Equal("FC1", ArmValue.Path(plan.Body, "sku.name"));
        Assert.Equal("FlexConsumption", ArmValue.Path(plan.Body, "sku.tier"));
        Expect(true, plan.Properties["reserved"]);

        var site = Single(deployment, "Microsoft.Web/sites");
        Assert.Equal("functionapp,linux", site.Body["kind"]);
        Assert.Equal(plan.Id, site.Properties["serverFarmId"]);
        Assert.Equal("UserAssigned", ArmValue.Path(site.Body, "identity.type"));
        Assert.Equal(new[] { identity.Id }, ArmValue.Object(ArmValue.Path(site.Body, "identity.userAssignedIdentities"), "userAssignedIdentities").Keys);
        Assert.Equal(identity.Id, site.Properties["keyVaultReferenceIdentity"]);

        var config = site.Properties["functionAppConfig"];
        Assert.Equal("dotnet-isolated", ArmValue.Path(config, "runtime.name"));
        Assert.Equal("10.0", ArmValue.Path(config, "runtime.version"));
        Assert.Equal("blobContainer", ArmValue.Path(config, "deployment.storage.type"));
        Assert.Equal(Endpoint(account, "blob") + container.ShortName, ArmValue.Text(ArmValue.Path(config, "deployment.storage.value")));
        Assert.Equal("UserAssignedIdentity", ArmValue.Path(config, "deployment.storage.authentication.type"));
        Assert.Equal(identity.Id, ArmValue.Path(config, "deployment.storage.authentication.userAssignedIdentityResourceId"));
        Expect(250, ArmValue.Path(config, "scaleAndConcurrency.maximumInstanceCount"));
        Expect(4096, ArmValue.Path(config, "scaleAndConcurrency.instanceMemoryMB"));
        Expect(24, ArmValue.Path(config, "scaleAndConcurrency.triggers.http.perInstanceConcurrency"));
        var alwaysReady = Assert.Single(ArmValue.Array(ArmValue.Path(config, "scaleAndConcurrency.alwaysReady"), "alwaysReady"));
        Assert.Equal("http", ArmValue.Path(alwaysReady, "name"));
        Expect(2, ArmValue.Path(alwaysReady, "instanceCount"));

        var minimal = Single(infra.Evaluate(Parameters("minimal")), "Microsoft.Web/sites").Properties["functionAppConfig"];
        Assert.Empty(ArmValue.Array(ArmValue.Path(minimal, "scaleAndConcurrency.alwaysReady"), "alwaysReady"));
    }

    [Fact]
    public void Flex_sets_nothing_the_plan_rejects()
    {
        var deployment = infra.Evaluate(Parameters("flex"));
        var site = Single(deployment, "Microsoft.Web/sites");
        var settings = Settings(deployment);
        Assert.DoesNotContain(settings.Keys, name => FlexForbiddenSettings.Contains(name, StringComparer.OrdinalIgnoreCase)
            || name.StartsWith("WEBSITE_CONTENT", StringComparison.OrdinalIgnoreCase));
        var siteConfig = ArmValue.Object(site.Properties["siteConfig"], "siteConfig");
        Assert.Empty(siteConfig.Keys.Intersect(FlexForbiddenSiteConfig, StringComparer.OrdinalIgnoreCase));
        Assert.DoesNotContain(site.Properties.Keys, k => k.StartsWith("vnet", StringComparison.OrdinalIgnoreCase) || k is "containerSize" or "dnsConfiguration");
    }

    [Fact]
    public void Elastic_premium_runs_from_a_package_url_without_an_azure_files_share()
    {
        var deployment = infra.Evaluate(Parameters("elastic-premium"));
        var identity = Single(deployment, "Microsoft.ManagedIdentity/userAssignedIdentities");
        var account = Single(deployment, "Microsoft.Storage/storageAccounts");
        var container = Single(deployment, "Microsoft.Storage/storageAccounts/blobServices/containers");
        var plan = Single(deployment, "Microsoft.Web/serverfarms");
        Assert.Equal("EP2", ArmValue.Path(plan.Body, "sku.name"));
        Assert.Equal("ElasticPremium", ArmValue.Path(plan.Body, "sku.tier"));
        Assert.Equal("elastic", plan.Body["kind"]);
        Expect(true, plan.Properties["reserved"]);

        var site = Single(deployment, "Microsoft.Web/sites");
        Assert.Null(site.Properties["functionAppConfig"]);
        Assert.Equal("DOTNET-ISOLATED|10.0", ArmValue.Path(site.Properties, "siteConfig.linuxFxVersion"));
        var settings = Settings(deployment);
        Assert.Equal("~4", settings["FUNCTIONS_EXTENSION_VERSION"]);
        Assert.Equal("dotnet-isolated", settings["FUNCTIONS_WORKER_RUNTIME"]);
        Assert.DoesNotContain(settings.Keys, k => k.StartsWith("WEBSITE_CONTENT", StringComparison.OrdinalIgnoreCase));
        Assert.Equal(Endpoint(account, "blob") + container.ShortName + "/tollgate-functions.zip", settings["WEBSITE_RUN_FROM_PACKAGE"]);
        Assert.Equal(identity.Id, settings["WEBSITE_RUN_FROM_PACKAGE_BLOB_MI_RESOURCE_ID"]);
    }

    [Theory]
    [MemberData(nameof(HostingPlans))]
    public void Host_storage_tables_and_telemetry_are_reached_as_the_identity(string hostingPlan)
    {
        var deployment = infra.Evaluate(Full(hostingPlan));
        var identity = Single(deployment, "Microsoft.ManagedIdentity/userAssignedIdentities");
        var account = Single(deployment, "Microsoft.Storage/storageAccounts");
        var appInsights = Single(deployment, "Microsoft.Insights/components");
        var clientId = $"⟪reference({identity.Id}).clientId⟫";
        var settings = Settings(deployment);

        Assert.DoesNotContain("AzureWebJobsStorage", settings.Keys);
        Assert.DoesNotContain("AzureWebJobsStorage__accountKey", settings.Keys, StringComparer.OrdinalIgnoreCase);
        Assert.Equal(Endpoint(account, "blob"), settings["AzureWebJobsStorage__blobServiceUri"]);
        Assert.Equal(Endpoint(account, "queue"), settings["AzureWebJobsStorage__queueServiceUri"]);
        Assert.Equal(Endpoint(account, "table"), settings["AzureWebJobsStorage__tableServiceUri"]);
        Assert.Equal("managedidentity", settings["AzureWebJobsStorage__credential"]);
        Assert.Equal(clientId, settings["AzureWebJobsStorage__clientId"]);

        Assert.Equal(Endpoint(account, "table"), settings["Tollgate__Storage__TableEndpoint"]);
        Assert.Equal(clientId, settings["Tollgate__Storage__ManagedIdentityClientId"]);
        Assert.DoesNotContain("Tollgate__Storage__ConnectionString", settings.Keys);
        Assert.Equal(clientId, settings["AZURE_CLIENT_ID"]);
        Assert.Equal("0 */5 * * * *", settings["TOLLGATE_AGGREGATION_SCHEDULE"]);

        Assert.Equal($"⟪reference({appInsights.Id}).ConnectionString⟫", settings["APPLICATIONINSIGHTS_CONNECTION_STRING"]);
        Assert.Equal("Authorization=AAD;ClientId=" + clientId, settings["APPLICATIONINSIGHTS_AUTHENTICATION_STRING"]);
    }

    [Theory]
    [MemberData(nameof(ParameterSets))]
    public void No_setting_output_or_resource_carries_a_key_or_the_secure_parameter(string set)
    {
        var deployment = infra.Evaluate(Parameters(set));
        var settings = Settings(deployment);
        var outputs = deployment.AllDeployments().SelectMany(d => d.Outputs.Select(o => ($"{d.Path} output {o.Key}", ArmValue.Render(o.Value))));
        foreach (var (where, text) in settings.Select(s => ($"setting {s.Key}", s.Value)).Concat(outputs))
        {
            Assert.False(LooksLikeKeyMaterial(text), $"{where} carries key material: {text}");
            Assert.DoesNotContain(AdminKeyHashSentinel, text);
        }
        // Outputs land in deployment history and the azd .env: not even the telemetry connection string.
        foreach (var (where, text) in outputs)
        {
            Assert.False(text.Contains("ConnectionString", StringComparison.OrdinalIgnoreCase), $"{where} is a connection string: {text}");
        }

        // The admin key hash goes to the Key Vault secret and nowhere else, and only through secure parameters.
        foreach (var resource in deployment.AllResources())
        {
            var text = ArmValue.Render(resource.Body);
            Assert.False(LooksLikeKeyMaterial(text), $"{resource.Type} {resource.Name} carries key material: {text}");
            if (resource.Type != "Microsoft.KeyVault/vaults/secrets")
            {
                Assert.DoesNotContain(AdminKeyHashSentinel, text);
            }
        }
        foreach (var module in deployment.AllDeployments())
        {
            foreach (var name in module.Parameters.Where(p => ArmValue.Render(p.Value).Contains(AdminKeyHashSentinel)).Select(p => p.Key))
            {
                var type = module.Template.GetProperty("parameters").GetProperty(name).GetProperty("type").GetString();
                Assert.True(type is "securestring" or "secureObject", $"{module.Path} takes the admin key hash in parameter {name} of type {type}");
            }
            if (module.Template.TryGetProperty("outputs", out var declaredOutputs))
            {
                foreach (var output in declaredOutputs.EnumerateObject())
                {
                    Assert.DoesNotContain("secure", output.Value.GetProperty("type").GetString()!, StringComparison.OrdinalIgnoreCase);
                }
            }
        }
        // Nowhere in the template is a key listed or a SAS made.
        Assert.False(Regex.IsMatch(infra.Build.StdOut, @"\blist\w*\(|AccountKey|SharedAccessSignature", RegexOptions.IgnoreCase),
            "the compiled template lists keys or builds a connection string with a key");
    }

    [Theory]
    [MemberData(nameof(HostingPlans))]
    public void Secret_settings_are_key_vault_references_to_this_vault(string hostingPlan)
    {
        var deployment = infra.Evaluate(Full(hostingPlan));
        var vault = Single(deployment, "Microsoft.KeyVault/vaults");
        var secretLike = Settings(deployment).Where(s => SecretLikeName().IsMatch(s.Key.Split("__")[^1])).ToList();
        Assert.Equal(
            new[] { "Tollgate__Admin__Keys__0__KeyHash", "Tollgate__Upstreams__openai__Secret" },
            secretLike.Select(s => s.Key).Order());
        foreach (var (name, value) in secretLike)
        {
            var match = KeyVaultReference().Match(value);
            Assert.True(match.Success, $"{name} is not a Key Vault reference: {value}");
            Assert.Equal(vault.Name, match.Groups["vault"].Value);
        }
        Assert.Equal("@Microsoft.KeyVault(VaultName=" + vault.Name + ";SecretName=upstream-openai)", Settings(deployment)["Tollgate__Upstreams__openai__Secret"]);
        Assert.Equal("@Microsoft.KeyVault(VaultName=" + vault.Name + ";SecretName=tollgate-admin-key-hash)", Settings(deployment)["Tollgate__Admin__Keys__0__KeyHash"]);
    }

    [Fact]
    public void Admin_key_is_configured_only_with_an_admin_key_hash()
    {
        var without = infra.Evaluate(Parameters("minimal"));
        Assert.DoesNotContain(Settings(without).Keys, k => k.StartsWith("Tollgate__Admin__", StringComparison.Ordinal));
        Assert.DoesNotContain(without.AllResources(), r => r.Type == "Microsoft.KeyVault/vaults/secrets");

        var with = infra.Evaluate(Parameters("flex"));
        var settings = Settings(with);
        Assert.Equal(
            new[] { "Tollgate__Admin__Keys__0__Id", "Tollgate__Admin__Keys__0__KeyHash" },
            settings.Keys.Where(k => k.StartsWith("Tollgate__Admin__", StringComparison.Ordinal)).Order());
        Assert.Equal("admin", settings["Tollgate__Admin__Keys__0__Id"]);
        var secret = Single(with, "Microsoft.KeyVault/vaults/secrets");
        Assert.Equal(Single(with, "Microsoft.KeyVault/vaults").Name + "/tollgate-admin-key-hash", secret.Name);
        Assert.Equal(AdminKeyHashSentinel, secret.Properties["value"]);
    }

    [Fact]
    public void Upstreams_become_tollgate_settings_with_their_keys_in_key_vault()
    {
        var deployment = infra.Evaluate(Parameters("flex"));
        var vault = Single(deployment, "Microsoft.KeyVault/vaults");
        var upstreamSettings = Settings(deployment)
            .Where(s => s.Key.StartsWith("Tollgate__Upstreams__", StringComparison.Ordinal))
            .ToDictionary(s => s.Key["Tollgate__Upstreams__".Length..], s => s.Value);
        var expected = new Dictionary<string, string>
        {
            ["openai__BaseUrl"] = "https://api.openai.com",
            ["openai__PathStyle"] = "V1",
            ["openai__AuthStyle"] = "Bearer",
            ["openai__Envelope"] = "false",
            ["openai__Secret"] = $"@Microsoft.KeyVault(VaultName={vault.Name};SecretName=upstream-openai)",
            ["openai__ModelMap"] = "gpt-4.1=gpt-4.1-2025-04-14;gpt-4o-mini=gpt-4o-mini",
            ["local__BaseUrl"] = "https://llm.example.internal",
            ["local__PathStyle"] = "ApiV1",
            ["local__AuthStyle"] = "None",
            ["local__Envelope"] = "true",
            ["local__ModelMap"] = "small=small@reasoning",
        };
        Assert.Equal(expected.OrderBy(kv => kv.Key), upstreamSettings.OrderBy(kv => kv.Key));
        Assert.DoesNotContain(Settings(infra.Evaluate(Parameters("minimal"))).Keys, k => k.StartsWith("Tollgate__Upstreams__", StringComparison.Ordinal));
    }

    [Fact]
    public void Entra_azure_openai_upstream_signs_in_as_the_identity_without_a_secret()
    {
        var deployment = infra.Evaluate(WithUpstreams(EntraUpstream("aoai", AoaiResourceId)));
        var identity = Single(deployment, "Microsoft.ManagedIdentity/userAssignedIdentities");
        var clientId = $"⟪reference({identity.Id}).clientId⟫";
        var expected = new Dictionary<string, string>
        {
            ["aoai__BaseUrl"] = "https://contoso-aoai.openai.azure.com",
            ["aoai__PathStyle"] = "V1",
            // No key to present: the token goes as Authorization: Bearer, and no Secret setting (Core refuses one with Entra).
            ["aoai__AuthStyle"] = "None",
            ["aoai__Envelope"] = "false",
            ["aoai__Azure__AuthMode"] = "Entra",
            ["aoai__Azure__ApiStyle"] = "Deployment",
            ["aoai__Azure__ApiVersion"] = "2024-10-21",
            ["aoai__Azure__Deployment"] = "gpt-4o-prod",
            ["aoai__Azure__ManagedIdentityClientId"] = clientId,
            ["aoai__ModelMap"] = "gpt-4o=gpt-4o",
        };
        Assert.Equal(expected.OrderBy(kv => kv.Key), UpstreamSettings(deployment).OrderBy(kv => kv.Key));
        // The same identity the app uses for storage, Key Vault and telemetry.
        Assert.Equal(Settings(deployment)["Tollgate__Storage__ManagedIdentityClientId"], clientId);
        Assert.DoesNotContain(Settings(deployment).Keys, k => k.EndsWith("__Secret", StringComparison.Ordinal));
    }

    [Fact]
    public void Entra_azure_openai_upstream_gets_cognitive_services_openai_user_on_its_account()
    {
        var deployment = infra.Evaluate(WithUpstreams(EntraUpstream("aoai", AoaiResourceId)));
        var app = $"⟪reference({Single(deployment, "Microsoft.ManagedIdentity/userAssignedIdentities").Id}).principalId⟫";

        var assignments = RoleAssignments(deployment);
        var assignment = Assert.Single(assignments, a => RoleOf(a) == CognitiveServicesOpenAiUser);
        var scope = ArmValue.Text(assignment.Body["scope"]);
        Assert.Equal(AoaiResourceId, scope, ignoreCase: true);
        Assert.Equal(app, ArmValue.Text(assignment.Properties["principalId"]));
        Assert.Equal("ServicePrincipal", assignment.Properties["principalType"]);
        Assert.Equal($"⟪guid({scope}, {app}, {CognitiveServicesOpenAiUser})⟫", assignment.Name);
        // Deployed into the account's own subscription and resource group, where the role definition is referenced too.
        Assert.Equal(AoaiSubscription, assignment.Deployment.SubscriptionId, ignoreCase: true);
        Assert.Equal(AoaiResourceGroup, assignment.Deployment.ResourceGroupName, ignoreCase: true);
        Assert.Equal(
            $"/subscriptions/{AoaiSubscription}/providers/Microsoft.Authorization/roleDefinitions/{CognitiveServicesOpenAiUser}",
            ArmValue.Text(assignment.Properties["roleDefinitionId"]), ignoreCase: true);
        // The account is only referred to: nothing is created or changed in that resource group but the assignment.
        Assert.Equal([assignment], assignment.Deployment.Resources);
        // Everything else is as without the upstream.
        Assert.Equal(RoleAssignments(infra.Evaluate(Parameters("flex"))).Count + 1, assignments.Count);
    }

    [Fact]
    public void Each_azure_openai_account_an_entra_upstream_names_gets_one_role_assignment()
    {
        const string OtherAccount = "/subscriptions/0f0e0d0c-0000-4000-8000-0000000000b2/resourceGroups/rg-b/providers/Microsoft.CognitiveServices/accounts/other";
        var withoutResourceId = EntraUpstream("aoaiNoId", null);
        var apiKey = ApiKeyUpstream("aoaiKey");
        apiKey["azure"] = new Dictionary<string, object?> { ["resourceId"] = OtherAccount };
        var deployment = infra.Evaluate(WithUpstreams(
            EntraUpstream("aoai", AoaiResourceId),
            EntraUpstream("aoaiTwo", AoaiResourceId.ToUpperInvariant()),
            withoutResourceId,
            apiKey));

        // Two upstreams on one account (however spelt) share one assignment; none without a resourceId or for a key.
        var assignment = Assert.Single(RoleAssignments(deployment), a => RoleOf(a) == CognitiveServicesOpenAiUser);
        Assert.Equal(AoaiResourceId, ArmValue.Text(assignment.Body["scope"]), ignoreCase: true);
        // An Entra upstream without resourceId still signs in as the identity (its role assigned by someone else).
        var settings = UpstreamSettings(deployment);
        Assert.Equal(settings["aoai__Azure__ManagedIdentityClientId"], settings["aoaiNoId__Azure__ManagedIdentityClientId"]);
        Assert.False(settings.ContainsKey("aoaiNoId__Secret"));
    }

    [Fact]
    public void Api_key_azure_openai_upstream_keeps_its_key_vault_secret_and_gets_no_role_assignment()
    {
        var upstream = ApiKeyUpstream("aoai");
        upstream["azure"] = new Dictionary<string, object?> { ["resourceId"] = AoaiResourceId };
        var deployment = infra.Evaluate(WithUpstreams(upstream));
        var vault = Single(deployment, "Microsoft.KeyVault/vaults");
        var expected = new Dictionary<string, string>
        {
            ["aoai__BaseUrl"] = "https://contoso-aoai.openai.azure.com",
            ["aoai__PathStyle"] = "V1",
            // Azure OpenAI takes its key in the api-key header, so that is the default there.
            ["aoai__AuthStyle"] = "ApiKey",
            ["aoai__Envelope"] = "false",
            ["aoai__Secret"] = $"@Microsoft.KeyVault(VaultName={vault.Name};SecretName=upstream-aoai)",
            ["aoai__Azure__AuthMode"] = "ApiKey",
            ["aoai__Azure__ApiStyle"] = "V1",
            ["aoai__ModelMap"] = "gpt-4o=gpt-4o",
        };
        Assert.Equal(expected.OrderBy(kv => kv.Key), UpstreamSettings(deployment).OrderBy(kv => kv.Key));

        Assert.DoesNotContain(RoleAssignments(deployment), a => RoleOf(a) == CognitiveServicesOpenAiUser);
        Assert.Equal(RoleAssignments(infra.Evaluate(Parameters("flex"))).Count, RoleAssignments(deployment).Count);
        Assert.All(deployment.AllDeployments(), d => Assert.Null(d.SubscriptionId));
    }

    [Theory]
    [InlineData("/subscriptions/7d2f0c1e-0000-4000-8000-00000000a0a1/resourceGroups/rg-ai")]
    [InlineData("/subscriptions/7d2f0c1e-0000-4000-8000-00000000a0a1/resourceGroups/rg-ai/providers/Microsoft.KeyVault/vaults/kv")]
    [InlineData("/subscriptions//resourceGroups/rg-ai/providers/Microsoft.CognitiveServices/accounts/aoai")]
    [InlineData("contoso-aoai")]
    public void Entra_upstream_with_a_resource_id_that_is_no_account_fails_the_deployment(string resourceId)
    {
        var deployment = infra.Evaluate(WithUpstreams(EntraUpstream("aoai", resourceId)));
        var failure = Assert.Throws<ArmTemplateFailure>(() => deployment.AllResources().ToList());
        Assert.Contains($"'{resourceId.ToLowerInvariant()}'", failure.Message, StringComparison.Ordinal);
        Assert.Contains("Microsoft.CognitiveServices/accounts", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Azure_openai_upstream_settings_pass_tollgates_own_validation()
    {
        var deployment = infra.Evaluate(WithUpstreams(EntraUpstream("aoai", AoaiResourceId), ApiKeyUpstream("aoaiKey")));
        // What App Service hands the app: Key Vault references resolved, the identity's client id a GUID.
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(
            Settings(deployment)
                .Where(s => s.Key.StartsWith("Tollgate__Upstreams__", StringComparison.Ordinal))
                .Select(s => KeyValuePair.Create<string, string?>(
                    s.Key.Replace("__", ":", StringComparison.Ordinal),
                    s.Value.StartsWith("@Microsoft.KeyVault(", StringComparison.Ordinal) ? "resolved-upstream-key"
                        : s.Value.StartsWith('⟪') ? "0b7c6e0e-8d47-4a57-b1d0-3d1a4f1f5e21"
                        : s.Value)))
            .Build();
        var options = new RoutingOptions();
        configuration.GetSection(RoutingOptions.Section).Bind(options);
        foreach (var upstream in options.Upstreams.Values)
        {
            upstream.ApplyModelMap();
        }

        Assert.Equal(["aoai", "aoaiKey"], options.Upstreams.Keys.Order());
        Assert.Equal(AzureOpenAiAuthMode.Entra, options.Upstreams["aoai"].Azure?.AuthMode);
        Assert.Equal(AzureOpenAiAuthMode.ApiKey, options.Upstreams["aoaiKey"].Azure?.AuthMode);
        var result = new RoutingOptionsValidator().Validate(null, options);
        var upstreamFailures = (result.Failures ?? []).Where(f => f.StartsWith("Tollgate:Upstreams:", StringComparison.Ordinal)).ToList();
        Assert.True(upstreamFailures.Count == 0, string.Join('\n', upstreamFailures));
    }

    [Fact]
    public void Every_field_of_the_upstream_types_has_a_description()
    {
        var definitions = infra.Template.GetProperty("definitions");
        var missing = new List<string>();
        foreach (var type in new[] { "upstreamType", "azureOpenAiType" })
        {
            var definition = definitions.GetProperty(type);
            Assert.True(definition.TryGetProperty("metadata", out var meta) && meta.TryGetProperty("description", out _), $"{type} has no description");
            foreach (var field in definition.GetProperty("properties").EnumerateObject())
            {
                if (!(field.Value.TryGetProperty("metadata", out var m) && m.TryGetProperty("description", out var d) && !string.IsNullOrWhiteSpace(d.GetString())))
                {
                    missing.Add($"{type}.{field.Name}");
                }
            }
        }
        Assert.True(missing.Count == 0, "fields without a description: " + string.Join(", ", missing));
        Assert.Equal(
            new[] { "apiStyle", "apiVersion", "authMode", "deployment", "resourceId" },
            definitions.GetProperty("azureOpenAiType").GetProperty("properties").EnumerateObject().Select(p => p.Name).Order());
    }

    [Fact]
    public void Key_vault_uses_rbac_soft_delete_and_purge_protection()
    {
        var vault = Single(infra.Evaluate(Parameters("minimal")), "Microsoft.KeyVault/vaults");
        Expect(true, vault.Properties["enableRbacAuthorization"]);
        Expect(true, vault.Properties["enableSoftDelete"]);
        Expect(true, vault.Properties["enablePurgeProtection"]);
        Expect(90, vault.Properties["softDeleteRetentionInDays"]);
        Assert.False(vault.Properties.TryGetValue("accessPolicies", out var policies) && policies is List<object?> { Count: > 0 });
    }

    [Fact]
    public void App_insights_accepts_only_entra_id_telemetry_into_its_workspace()
    {
        var deployment = infra.Evaluate(Parameters("minimal"));
        var component = Single(deployment, "Microsoft.Insights/components");
        var workspace = Single(deployment, "Microsoft.OperationalInsights/workspaces");
        Expect(true, component.Properties["DisableLocalAuth"]);
        Assert.Equal(workspace.Id, component.Properties["WorkspaceResourceId"]);
    }

    [Fact]
    public void Alert_rules_query_the_workspace_for_every_signal_and_notify_the_action_group()
    {
        const string actionGroup = "/subscriptions/00000000-0000-0000-0000-0000000000aa/resourceGroups/rg-ops/providers/Microsoft.Insights/actionGroups/oncall";
        var parameters = Full("FlexConsumption");
        parameters["alertActionGroupId"] = actionGroup;
        var deployment = infra.Evaluate(parameters);
        var workspace = Single(deployment, "Microsoft.OperationalInsights/workspaces");
        var rules = deployment.AllResources().Where(r => r.Type == "Microsoft.Insights/scheduledQueryRules").ToList();
        string[] expected = ["budgets-refusing", "gateway-fault", "metering-refusals", "slow-first-token", "storage-failing", "unpriced-served", "upstream-failure-rate"];
        Assert.Equal(expected.Length, rules.Count);
        // Named tollgate-{resource token}-{signal}.
        var byName = expected.ToDictionary(n => n, n => Assert.Single(rules, r => r.ShortName.StartsWith("tollgate-", StringComparison.Ordinal) && r.ShortName.EndsWith("-" + n, StringComparison.Ordinal)));
        foreach (var rule in rules)
        {
            Assert.Equal("LogAlert", ArmValue.Text(rule.Body["kind"]));
            Assert.Equal([workspace.Id], ((List<object?>)rule.Properties["scopes"]!).Select(ArmValue.Text));
            Expect(true, rule.Properties["enabled"]);
            var actions = ArmValue.Object(rule.Properties["actions"], "actions");
            Assert.Equal([actionGroup], ((List<object?>)actions["actionGroups"]!).Select(ArmValue.Text));
        }
        string Query(string name)
        {
            var criteria = ArmValue.Object(byName[name].Properties["criteria"], "criteria");
            return ArmValue.Text(ArmValue.Object(((List<object?>)criteria["allOf"]!)[0], "allOf").GetValueOrDefault("query"));
        }
        // The failure rate counts Tollgate's outcomes, so client cancellations (ClientAborted) never count as failures.
        Assert.Contains("\"tollgate.requests\"", Query("upstream-failure-rate"), StringComparison.Ordinal);
        Assert.Contains("\"ClientAborted\"", Query("upstream-failure-rate"), StringComparison.Ordinal);
        Assert.DoesNotContain("AppRequests", string.Concat(byName.Keys.Select(Query)), StringComparison.Ordinal);
        foreach (var eventId in new[] { "3000", "3002", "3003", "3004", "4101", "4102", "5001" })
        {
            Assert.Contains(eventId, Query("storage-failing"), StringComparison.Ordinal);
        }
        Assert.Contains("1900", Query("gateway-fault"), StringComparison.Ordinal);
        Assert.Contains("1002", Query("metering-refusals"), StringComparison.Ordinal);
        Assert.Contains("gen_ai.server.time_to_first_token", Query("slow-first-token"), StringComparison.Ordinal);

        // Without an action group the rules are still there, notifying nobody.
        var minimal = infra.Evaluate(Parameters("minimal"));
        var quiet = minimal.AllResources().Where(r => r.Type == "Microsoft.Insights/scheduledQueryRules").ToList();
        Assert.Equal(rules.Count, quiet.Count);
        Assert.All(quiet, r => Assert.Empty((List<object?>)ArmValue.Object(r.Properties["actions"], "actions")["actionGroups"]!));
    }

    [Theory]
    [MemberData(nameof(ParameterSets))]
    public void Role_assignments_are_deterministic_and_least_privilege(string set)
    {
        var deployment = infra.Evaluate(Parameters(set));
        var app = $"⟪reference({Single(deployment, "Microsoft.ManagedIdentity/userAssignedIdentities").Id}).principalId⟫";
        var storage = Single(deployment, "Microsoft.Storage/storageAccounts").Id;
        var vault = Single(deployment, "Microsoft.KeyVault/vaults").Id;
        var appInsights = Single(deployment, "Microsoft.Insights/components").Id;
        var expected = new List<string>
        {
            $"{StorageBlobDataOwner} {storage} {app} ServicePrincipal",
            $"{StorageQueueDataContributor} {storage} {app} ServicePrincipal",
            $"{StorageTableDataContributor} {storage} {app} ServicePrincipal",
            $"{KeyVaultSecretsUser} {vault} {app} ServicePrincipal",
            $"{MonitoringMetricsPublisher} {appInsights} {app} ServicePrincipal",
        };
        if (set != "minimal")
        {
            expected.Add($"{KeyVaultSecretsOfficer} {vault} {DeployerObjectId} User");
        }

        var assignments = deployment.AllResources().Where(r => r.Type == "Microsoft.Authorization/roleAssignments").ToList();
        var actual = new List<string>();
        foreach (var assignment in assignments)
        {
            var roleDefinitionId = ArmValue.Text(assignment.Properties["roleDefinitionId"]);
            Assert.StartsWith("/subscriptions/{subscription}/providers/Microsoft.Authorization/roleDefinitions/", roleDefinitionId);
            var role = roleDefinitionId[(roleDefinitionId.LastIndexOf('/') + 1)..];
            var scope = ArmValue.Text(assignment.Body["scope"]);
            var principal = ArmValue.Text(assignment.Properties["principalId"]);
            actual.Add($"{role} {scope} {principal} {assignment.Properties["principalType"]}");

            // guid(scope, principal, role): stable across deployments, one per (scope, principal, role).
            Assert.StartsWith("[guid(", assignment.Raw.GetProperty("name").GetString());
            Assert.Equal($"⟪guid({scope}, {principal}, {role})⟫", assignment.Name);
        }
        Assert.Equal(expected.Order(), actual.Order());
    }

    [Fact]
    public void Every_parameter_has_a_description()
    {
        var missing = new List<string>();
        Walk(infra.Template, "main");
        Assert.True(missing.Count == 0, "parameters without a description: " + string.Join(", ", missing));

        void Walk(JsonElement template, string path)
        {
            foreach (var p in template.GetProperty("parameters").EnumerateObject())
            {
                if (!(p.Value.TryGetProperty("metadata", out var meta) && meta.TryGetProperty("description", out var d)
                    && !string.IsNullOrWhiteSpace(d.GetString())))
                {
                    missing.Add($"{path}.{p.Name}");
                }
            }
            var resources = template.GetProperty("resources");
            var list = resources.ValueKind == JsonValueKind.Array ? resources.EnumerateArray().ToList() : [.. resources.EnumerateObject().Select(r => r.Value)];
            foreach (var r in list.Where(r => r.TryGetProperty("properties", out var props) && props.TryGetProperty("template", out _)))
            {
                Walk(r.GetProperty("properties").GetProperty("template"), path + "/" + r.GetProperty("name").GetString());
            }
        }
    }

    [Theory]
    [MemberData(nameof(HostingPlans))]
    public void Outputs_name_the_endpoint_and_resources_but_no_secret(string hostingPlan)
    {
        var deployment = infra.Evaluate(Full(hostingPlan));
        var site = Single(deployment, "Microsoft.Web/sites");
        var outputs = deployment.Outputs.ToDictionary(o => o.Key, o => ArmValue.Text(o.Value));
        Assert.Equal(
            new[] { "AZURE_FUNCTION_APP_NAME", "AZURE_KEY_VAULT_NAME", "AZURE_LOCATION", "AZURE_STORAGE_ACCOUNT_NAME", "TOLLGATE_ENDPOINT" },
            outputs.Keys.Order());
        Assert.Equal($"https://⟪reference({site.Id}).defaultHostName⟫", outputs["TOLLGATE_ENDPOINT"]);
        Assert.Equal(site.Name, outputs["AZURE_FUNCTION_APP_NAME"]);
        Assert.Equal(Single(deployment, "Microsoft.KeyVault/vaults").Name, outputs["AZURE_KEY_VAULT_NAME"]);
        Assert.Equal(Single(deployment, "Microsoft.Storage/storageAccounts").Name, outputs["AZURE_STORAGE_ACCOUNT_NAME"]);
        Assert.DoesNotContain(deployment.AllDeployments().SelectMany(d => d.Outputs.Keys), k => SecretOutputName().IsMatch(k));
    }

    [Theory]
    [MemberData(nameof(ParameterSets))]
    public void Every_resource_is_tagged_with_the_azd_environment_and_the_site_with_its_service(string set)
    {
        var deployment = infra.Evaluate(Parameters(set));
        var located = deployment.AllResources().Where(r => r.Body.ContainsKey("location")).ToList();
        Assert.Equal(14, located.Count); // 7 resources and 7 alert rules
        foreach (var resource in located)
        {
            Assert.True(
                ArmValue.Path(resource.Body, "tags.azd-env-name") is string env && env == EnvironmentName,
                $"{resource.Type} {resource.Name} lacks tag azd-env-name: {ArmValue.Render(resource.Body.GetValueOrDefault("tags"))}");
        }
        var tagged = deployment.AllResources().Where(r => ArmValue.Path(r.Body, "tags.azd-service-name") is not null).ToList();
        Assert.Equal("Microsoft.Web/sites", Assert.Single(tagged).Type);
        Assert.Equal(ReadAzureYaml().Services.Keys.Single(), ArmValue.Path(tagged[0].Body, "tags.azd-service-name"));
    }

    [Fact]
    public void App_setting_names_are_unique()
    {
        foreach (var set in new[] { "minimal", "flex", "elastic-premium" })
        {
            var names = SettingList(infra.Evaluate(Parameters(set))).Select(s => s.Name).ToList();
            Assert.True(names.Count == names.Distinct(StringComparer.OrdinalIgnoreCase).Count(), $"{set}: duplicate settings in {string.Join(", ", names)}");
        }
    }

    [Fact]
    public void Parameters_file_sets_declared_parameters_from_azd_variables()
    {
        using var file = JsonDocument.Parse(File.ReadAllText(InfraFile("main.parameters.json")));
        var declared = infra.Template.GetProperty("parameters");
        var set = file.RootElement.GetProperty("parameters").EnumerateObject()
            .ToDictionary(p => p.Name, p => p.Value.GetProperty("value").GetString());
        foreach (var name in set.Keys)
        {
            Assert.True(declared.TryGetProperty(name, out _), $"main.parameters.json sets {name}, which main.bicep does not declare");
        }
        Assert.Equal(
            new Dictionary<string, string?>
            {
                ["environmentName"] = "${AZURE_ENV_NAME}",
                ["location"] = "${AZURE_LOCATION}",
                ["principalId"] = "${AZURE_PRINCIPAL_ID}",
                ["adminKeyHash"] = "${TOLLGATE_ADMIN_KEY_HASH}",
                ["alertActionGroupId"] = "${TOLLGATE_ALERT_ACTION_GROUP_ID}",
            }.OrderBy(kv => kv.Key),
            set.OrderBy(kv => kv.Key));
        // Whatever has no default must come from the file, or azd would prompt for it.
        foreach (var p in declared.EnumerateObject().Where(p => !p.Value.TryGetProperty("defaultValue", out _)))
        {
            Assert.Contains(p.Name, set.Keys);
        }
        Assert.Equal("securestring", declared.GetProperty("adminKeyHash").GetProperty("type").GetString());
    }

    [Fact]
    public void Azure_yaml_deploys_the_functions_project_as_service_api()
    {
        var yaml = ReadAzureYaml();
        Assert.Matches("^[a-z0-9-]+$", yaml.Root["name"] as string ?? "");
        var api = Assert.Single(yaml.Services, s => s.Key == "api").Value;
        Assert.Equal("./src/Tollgate.Functions", api["project"]);
        Assert.Equal("dotnet", api["language"]);
        Assert.Equal("function", api["host"]);
        Assert.True(File.Exists(Path.Combine(RepoPaths.Root, "src/Tollgate.Functions/Tollgate.Functions.csproj")));
        if (yaml.Root.TryGetValue("infra", out var infraSection) && infraSection is Dictionary<string, object> infraMap)
        {
            Assert.Equal("bicep", infraMap.GetValueOrDefault("provider", "bicep"));
            Assert.Equal("infra", infraMap.GetValueOrDefault("path", "infra"));
            Assert.Equal("main", infraMap.GetValueOrDefault("module", "main"));
        }
    }

    private static string InfraFile(string name) => Path.Combine(RepoPaths.Root, "infra", name);

    /// <summary>The flex parameter set with these upstreams instead of its own.</summary>
    private static Dictionary<string, object?> WithUpstreams(params Dictionary<string, object?>[] upstreams)
    {
        var parameters = Full("FlexConsumption");
        parameters["upstreams"] = upstreams;
        return parameters;
    }

    /// <summary>An Azure OpenAI upstream signing in with Entra ID, deployment style; <paramref name="resourceId"/> null leaves it out.</summary>
    private static Dictionary<string, object?> EntraUpstream(string name, string? resourceId)
    {
        var azure = new Dictionary<string, object?>
        {
            ["authMode"] = "Entra",
            ["apiStyle"] = "Deployment",
            ["apiVersion"] = "2024-10-21",
            ["deployment"] = "gpt-4o-prod",
        };
        if (resourceId is not null)
        {
            azure["resourceId"] = resourceId;
        }
        return new Dictionary<string, object?>
        {
            ["name"] = name,
            ["baseUrl"] = "https://contoso-aoai.openai.azure.com",
            ["models"] = new Dictionary<string, object?> { ["gpt-4o"] = "gpt-4o" },
            ["azure"] = azure,
        };
    }

    /// <summary>An Azure OpenAI upstream with a key and every Azure setting at its default (an empty azure object).</summary>
    private static Dictionary<string, object?> ApiKeyUpstream(string name) => new()
    {
        ["name"] = name,
        ["baseUrl"] = "https://contoso-aoai.openai.azure.com",
        ["models"] = new Dictionary<string, object?> { ["gpt-4o"] = "gpt-4o" },
        ["azure"] = new Dictionary<string, object?>(),
    };

    /// <summary>The Tollgate__Upstreams__ settings without that prefix.</summary>
    private static Dictionary<string, string> UpstreamSettings(ArmDeployment deployment) => Settings(deployment)
        .Where(s => s.Key.StartsWith("Tollgate__Upstreams__", StringComparison.Ordinal))
        .ToDictionary(s => s.Key["Tollgate__Upstreams__".Length..], s => s.Value);

    private static List<ArmResource> RoleAssignments(ArmDeployment deployment) =>
        [.. deployment.AllResources().Where(r => r.Type == "Microsoft.Authorization/roleAssignments")];

    /// <summary>The role definition GUID a role assignment grants.</summary>
    private static string RoleOf(ArmResource assignment)
    {
        var id = ArmValue.Text(assignment.Properties["roleDefinitionId"]);
        return id[(id.LastIndexOf('/') + 1)..];
    }

    /// <summary>Asserts an evaluated template value equals a plain one (bool, number, string).</summary>
    private static void Expect(object expected, object? actual)
    {
        var want = ArmValue.FromClr(expected);
        Assert.True(actual is not ArmUnknown && ArmValue.Same(want, actual), $"expected {ArmValue.Render(want)}, got {ArmValue.Render(actual)}");
    }

    private static ArmResource Single(ArmDeployment deployment, string type)
    {
        var matches = deployment.AllResources().Where(r => r.Type.Equals(type, StringComparison.OrdinalIgnoreCase)).ToList();
        Assert.True(matches.Count == 1, $"expected one {type}, found {matches.Count}");
        return matches[0];
    }

    /// <summary>What the account's primaryEndpoints.{service} resolves to, as the evaluator writes it.</summary>
    private static string Endpoint(ArmResource account, string service) => $"⟪reference({account.Id}).primaryEndpoints.{service}⟫";

    private static List<(string Name, string Value)> SettingList(ArmDeployment deployment)
    {
        var site = Single(deployment, "Microsoft.Web/sites");
        return [.. ArmValue.Array(ArmValue.Path(site.Properties, "siteConfig.appSettings"), "appSettings")
            .Select(s => (ArmValue.Text(ArmValue.Path(s, "name")), ArmValue.Text(ArmValue.Path(s, "value"))))];
    }

    private static Dictionary<string, string> Settings(ArmDeployment deployment) =>
        SettingList(deployment).ToDictionary(s => s.Name, s => s.Value, StringComparer.OrdinalIgnoreCase);

    private static bool LooksLikeKeyMaterial(string text) =>
        Regex.IsMatch(text, @"AccountKey|SharedAccessSignature|\blist\w*\(|[?&;]sig=|InstrumentationKey=", RegexOptions.IgnoreCase);

    private sealed record AzureYaml(Dictionary<string, object> Root, Dictionary<string, Dictionary<string, object>> Services);

    /// <summary>Reads azure.yaml's nested mappings of scalars (all it uses); lists or flow style fail the test.</summary>
    private static AzureYaml ReadAzureYaml()
    {
        var root = new Dictionary<string, object>();
        var stack = new Stack<(int Indent, Dictionary<string, object> Map)>();
        stack.Push((-1, root));
        foreach (var rawLine in File.ReadAllLines(Path.Combine(RepoPaths.Root, "azure.yaml")))
        {
            var line = Regex.Replace(rawLine, @"(^|\s)#.*$", "").TrimEnd();
            if (line.Trim().Length == 0)
            {
                continue;
            }
            var indent = line.Length - line.TrimStart().Length;
            var match = Regex.Match(line.Trim(), @"^([A-Za-z0-9_.-]+):(?:\s+(.*))?$");
            Assert.True(match.Success, $"azure.yaml: unexpected line '{rawLine}'");
            while (stack.Peek().Indent >= indent)
            {
                stack.Pop();
            }
            var value = match.Groups[2].Value.Trim().Trim('"', '\'');
            if (value.Length == 0)
            {
                var child = new Dictionary<string, object>();
                stack.Peek().Map[match.Groups[1].Value] = child;
                stack.Push((indent, child));
            }
            else
            {
                stack.Peek().Map[match.Groups[1].Value] = value;
            }
        }
        var services = Assert.IsType<Dictionary<string, object>>(root["services"])
            .ToDictionary(s => s.Key, s => Assert.IsType<Dictionary<string, object>>(s.Value));
        return new AzureYaml(root, services);
    }

    [GeneratedRegex(@"Secret|Password|Pepper|Key$|KeyHash$|ConnectionString$", RegexOptions.IgnoreCase)]
    private static partial Regex SecretLikeName();

    [GeneratedRegex(@"^@Microsoft\.KeyVault\((VaultName=(?<vault>[^;]+);SecretName=[A-Za-z0-9-]+|SecretUri=https://(?<vault>[^.]+)\.[^)]+)\)$")]
    private static partial Regex KeyVaultReference();

    [GeneratedRegex(@"secret|password|connectionstring|accountkey|token|sas", RegexOptions.IgnoreCase)]
    private static partial Regex SecretOutputName();
}
