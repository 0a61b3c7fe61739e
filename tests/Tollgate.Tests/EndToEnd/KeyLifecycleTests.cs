using System.ClientModel;
using System.Text.Json;
using OpenAI.Chat;
using Tollgate.Tests.Harness;

namespace Tollgate.Tests.EndToEnd;

/// <summary>Keys created, changed and revoked through the admin API, then used with the OpenAI SDK; Azurite underneath.</summary>
public sealed class KeyLifecycleTests(AzuriteFixture azurite)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private Task<GatewayHost> StartAsync(string? tablePrefix = null) => GatewayHost.StartAsync(
        s => s["Tollgate:KeyCacheTtl"] = "00:00:00.300", azurite.ConnectionString, tablePrefix ?? azurite.UniquePrefix());

    private static async Task<int> CallAsync(GatewayHost host, string key, string model = "gpt-test")
    {
        try
        {
            await host.ChatClient(model, key).CompleteChatAsync([new UserChatMessage("hi")], cancellationToken: Ct);
            return 200;
        }
        catch (ClientResultException e)
        {
            return e.Status;
        }
    }

    [Fact]
    public async Task CreatedKey_WorksWithTheSdk_UntilDisabledOrRevoked()
    {
        await using var host = await StartAsync();
        var admin = new AdminClient(host.Http);
        var (id, secret) = await admin.CreateKeyAsync("team-x");
        Assert.StartsWith("tg-" + id + "-", secret, StringComparison.Ordinal);
        Assert.True(secret.Length >= 3 + 16 + 1 + 43);

        Assert.Equal(200, await CallAsync(host, secret));

        var (status, shown) = await admin.SendAsync(HttpMethod.Get, $"manage/keys/{id}");
        Assert.Equal(200, status);
        Assert.Equal("active", shown.GetProperty("state").GetString());
        Assert.Equal("tg-" + id, shown.GetProperty("display_prefix").GetString());
        Assert.DoesNotContain(secret, shown.ToString(), StringComparison.Ordinal);

        Assert.Equal(200, (await admin.SendAsync(HttpMethod.Post, $"manage/keys/{id}/disable")).Status);
        Assert.Equal(401, await CallAsync(host, secret));
        Assert.Equal(200, (await admin.SendAsync(HttpMethod.Post, $"manage/keys/{id}/enable")).Status);
        Assert.Equal(200, await CallAsync(host, secret));

        Assert.Equal(200, (await admin.SendAsync(HttpMethod.Post, $"manage/keys/{id}/revoke")).Status);
        Assert.Equal(401, await CallAsync(host, secret));
        var (again, error) = await admin.SendAsync(HttpMethod.Post, $"manage/keys/{id}/enable");
        Assert.Equal(409, again);
        Assert.Equal("key_revoked", error.GetProperty("error").GetProperty("code").GetString());
    }

    [Fact]
    public async Task RevocationThroughAnotherInstance_TakesEffectWithinTheCacheTtl()
    {
        var prefix = azurite.UniquePrefix();
        await using var first = await StartAsync(prefix);
        var admin = new AdminClient(first.Http);
        var (id, secret) = await admin.CreateKeyAsync("team-ttl");
        Assert.Equal(200, await CallAsync(first, secret)); // now cached in this instance

        // A second instance (another Functions worker) revokes it; the first only learns through its cache expiring.
        await using var second = await StartAsync(prefix);
        Assert.Equal(200, (await new AdminClient(second.Http).SendAsync(HttpMethod.Post, $"manage/keys/{id}/revoke")).Status);

        var refused = false;
        for (var i = 0; i < 50 && !refused; i++)
        {
            await Task.Delay(100, Ct);
            refused = await CallAsync(first, secret) == 401;
        }
        Assert.True(refused, "the revoked key kept working past the cache TTL");
    }

    /// <summary>
    /// Limits and models changed through the admin API are stored (read back with a fresh GET and in the list);
    /// only the models are enforced so far: rate limits and budgets are not built yet.
    /// </summary>
    [Fact]
    public async Task UpdatedLimitsAndModels_AreStored_AndModelsAreEnforced()
    {
        await using var host = await StartAsync();
        var admin = new AdminClient(host.Http);
        var (id, secret) = await admin.CreateKeyAsync("team-m", models: ["gpt-test", "gpt-tools"]);
        Assert.Equal(403, await CallAsync(host, secret, "gpt-reasoning"));

        var expiry = new DateTimeOffset(2099, 1, 2, 3, 4, 5, TimeSpan.Zero);
        var (status, updated) = await admin.SendAsync(HttpMethod.Patch, $"manage/keys/{id}",
            new { models = new[] { "gpt-reasoning" }, requests_per_minute = 60, tokens_per_minute = 100000, budget = new { amount = 12.5m }, expires_at = expiry, name = "renamed" });
        Assert.Equal(200, status);
        Assert.Equal("renamed", updated.GetProperty("name").GetString());

        var (got, stored) = await admin.SendAsync(HttpMethod.Get, $"manage/keys/{id}");
        Assert.Equal(200, got);
        Assert.Equal("renamed", stored.GetProperty("name").GetString());
        Assert.Equal(["gpt-reasoning"], stored.GetProperty("models").EnumerateArray().Select(m => m.GetString()));
        Assert.Equal(60, stored.GetProperty("requests_per_minute").GetInt64());
        Assert.Equal(100000, stored.GetProperty("tokens_per_minute").GetInt64());
        Assert.Equal(12.5m, stored.GetProperty("budget").GetProperty("amount").GetDecimal());
        Assert.Equal(expiry, stored.GetProperty("expires_at").GetDateTimeOffset());
        Assert.Equal(200, await CallAsync(host, secret, "gpt-reasoning"));
        Assert.Equal(403, await CallAsync(host, secret, "gpt-test"));

        var (_, cleared) = await admin.SendAsync(HttpMethod.Patch, $"manage/keys/{id}", new Dictionary<string, object?> { ["models"] = null, ["budget"] = null });
        Assert.Equal(System.Text.Json.JsonValueKind.Null, cleared.GetProperty("models").ValueKind);
        Assert.Equal(200, await CallAsync(host, secret, "gpt-test"));

        var (listed, list) = await admin.SendAsync(HttpMethod.Get, "manage/keys?owner=team-m");
        Assert.Equal(200, listed);
        var row = Assert.Single(list.GetProperty("data").EnumerateArray());
        Assert.Equal(id, row.GetProperty("id").GetString());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, row.GetProperty("models").ValueKind);
        Assert.Equal(System.Text.Json.JsonValueKind.Null, row.GetProperty("budget").ValueKind);
        Assert.Equal(60, row.GetProperty("requests_per_minute").GetInt64());
        Assert.Equal(100000, row.GetProperty("tokens_per_minute").GetInt64());
        Assert.Equal(expiry, row.GetProperty("expires_at").GetDateTimeOffset());
    }

    private static void AssertBudget(JsonElement budget, decimal? amount, long? tokens, string period, string mode)
    {
        Assert.Equal(JsonValueKind.Object, budget.ValueKind);
        Assert.Equal(["amount", "tokens", "period", "mode"], budget.EnumerateObject().Select(p => p.Name));
        Assert.Equal(amount, budget.GetProperty("amount").ValueKind == JsonValueKind.Null ? null : budget.GetProperty("amount").GetDecimal());
        Assert.Equal(tokens, budget.GetProperty("tokens").ValueKind == JsonValueKind.Null ? null : budget.GetProperty("tokens").GetInt64());
        Assert.Equal((period, mode), (budget.GetProperty("period").GetString(), budget.GetProperty("mode").GetString()));
    }

    [Fact]
    public async Task KeyBudget_IsCreatedReadBackReplacedAndCleared()
    {
        await using var host = await StartAsync();
        var admin = new AdminClient(host.Http);

        var (status, created) = await admin.SendAsync(HttpMethod.Post, "manage/keys",
            new { name = "budgeted", owner = "team-budget", budget = new { amount = 10.5m, tokens = 100000, period = "day", mode = "soft" } });
        Assert.Equal(201, status);
        var id = created.GetProperty("key").GetProperty("id").GetString();
        AssertBudget(created.GetProperty("key").GetProperty("budget"), 10.5m, 100000, "day", "soft");
        Assert.False(created.GetProperty("key").TryGetProperty("monthly_budget_usd", out _));

        var (got, stored) = await admin.SendAsync(HttpMethod.Get, $"manage/keys/{id}");
        Assert.Equal(200, got);
        AssertBudget(stored.GetProperty("budget"), 10.5m, 100000, "day", "soft");

        // A budget sent in a PATCH replaces the whole budget: what it leaves out takes its default.
        var (patched, updated) = await admin.SendAsync(HttpMethod.Patch, $"manage/keys/{id}", new { budget = new { tokens = 5000, period = "week" } });
        Assert.Equal(200, patched);
        AssertBudget(updated.GetProperty("budget"), null, 5000, "week", "hard");
        (_, stored) = await admin.SendAsync(HttpMethod.Get, $"manage/keys/{id}");
        AssertBudget(stored.GetProperty("budget"), null, 5000, "week", "hard");

        (patched, updated) = await admin.SendAsync(HttpMethod.Patch, $"manage/keys/{id}", new { budget = new { amount = 0.25m, period = "credit", mode = "hard" }, name = "renamed" });
        Assert.Equal(200, patched);
        AssertBudget(updated.GetProperty("budget"), 0.25m, null, "credit", "hard");

        // Changing something else keeps the budget.
        (_, updated) = await admin.SendAsync(HttpMethod.Patch, $"manage/keys/{id}", new { requests_per_minute = 30 });
        AssertBudget(updated.GetProperty("budget"), 0.25m, null, "credit", "hard");

        (patched, updated) = await admin.SendAsync(HttpMethod.Patch, $"manage/keys/{id}", new Dictionary<string, object?> { ["budget"] = null });
        Assert.Equal(200, patched);
        Assert.Equal(JsonValueKind.Null, updated.GetProperty("budget").ValueKind);
        var (_, list) = await admin.SendAsync(HttpMethod.Get, "manage/keys?owner=team-budget");
        var row = Assert.Single(list.GetProperty("data").EnumerateArray());
        Assert.Equal(JsonValueKind.Null, row.GetProperty("budget").ValueKind);
        Assert.Equal(30, row.GetProperty("requests_per_minute").GetInt64());
    }

    [Fact]
    public async Task LegacyMonthlyBudgetUsd_IsAHardMonthlyBudget_OnCreateAndPatch()
    {
        await using var host = await StartAsync();
        var admin = new AdminClient(host.Http);

        var (status, created) = await admin.SendAsync(HttpMethod.Post, "manage/keys", new { name = "legacy", owner = "team-legacy", monthly_budget_usd = 12.5m });
        Assert.Equal(201, status);
        var id = created.GetProperty("key").GetProperty("id").GetString();
        AssertBudget(created.GetProperty("key").GetProperty("budget"), 12.5m, null, "month", "hard");

        await admin.SendAsync(HttpMethod.Patch, $"manage/keys/{id}", new { budget = new { tokens = 10, period = "day", mode = "soft" } });
        var (patched, updated) = await admin.SendAsync(HttpMethod.Patch, $"manage/keys/{id}", new { monthly_budget_usd = 7 });
        Assert.Equal(200, patched);
        AssertBudget(updated.GetProperty("budget"), 7m, null, "month", "hard");
        var (_, stored) = await admin.SendAsync(HttpMethod.Get, $"manage/keys/{id}");
        AssertBudget(stored.GetProperty("budget"), 7m, null, "month", "hard");

        (_, updated) = await admin.SendAsync(HttpMethod.Patch, $"manage/keys/{id}", new Dictionary<string, object?> { ["monthly_budget_usd"] = null });
        Assert.Equal(JsonValueKind.Null, updated.GetProperty("budget").ValueKind);
    }

    [Fact]
    public async Task KeyStoredBeforeBudgetsHadPeriods_ReadsItsMonthlyBudgetUsd()
    {
        var prefix = azurite.UniquePrefix();
        await using var host = await StartAsync(prefix);
        var admin = new AdminClient(host.Http);
        var (id, _) = await admin.CreateKeyAsync("team-old");

        // Rewrite the key's lookup row as an older Tollgate stored it: a MonthlyBudgetUsd column, no Budget* columns.
        var table = azurite.CreateStorage(prefix).Keys;
        var index = (await table.GetEntityAsync<Azure.Data.Tables.TableEntity>("id", id, cancellationToken: Ct)).Value;
        var hash = index.GetString("Hash");
        var row = (await table.GetEntityAsync<Azure.Data.Tables.TableEntity>("k" + hash[..2], hash, cancellationToken: Ct)).Value;
        Assert.False(row.ContainsKey("BudgetPeriod"));
        row["MonthlyBudgetUsd"] = "3.75";
        await table.UpdateEntityAsync(row, row.ETag, Azure.Data.Tables.TableUpdateMode.Replace, Ct);

        var (_, stored) = await admin.SendAsync(HttpMethod.Get, $"manage/keys/{id}");
        AssertBudget(stored.GetProperty("budget"), 3.75m, null, "month", "hard");

        // The next write stores it in the new columns and drops the old one.
        await admin.SendAsync(HttpMethod.Patch, $"manage/keys/{id}", new { name = "touched" });
        var rewritten = (await table.GetEntityAsync<Azure.Data.Tables.TableEntity>("k" + hash[..2], hash, cancellationToken: Ct)).Value;
        Assert.False(rewritten.ContainsKey("MonthlyBudgetUsd"));
        Assert.Equal(("3.75", "month", "hard"), (rewritten.GetString("BudgetAmount"), rewritten.GetString("BudgetPeriod"), rewritten.GetString("BudgetMode")));
        Assert.False(rewritten.ContainsKey("BudgetTokens"));
    }

    [Fact]
    public async Task BadKeyBudgets_GetClearErrors()
    {
        await using var host = await StartAsync();
        var admin = new AdminClient(host.Http);
        var (id, _) = await admin.CreateKeyAsync("team-badbudget");

        // The same budget on create (with a name and owner) and in a PATCH.
        static System.Text.Json.Nodes.JsonObject Body(HttpMethod method, object fields)
        {
            var body = JsonSerializer.SerializeToNode(fields)!.AsObject();
            if (method == HttpMethod.Post)
            {
                body["name"] = "n";
                body["owner"] = "o";
            }
            return body;
        }

        foreach (var (method, path) in new[] { (HttpMethod.Post, "manage/keys"), (HttpMethod.Patch, $"manage/keys/{id}") })
        {
            await admin.ExpectErrorAsync(400, "invalid_budget", method, path, Body(method, new { budget = new { amount = 1, period = "fortnight" } }), "budget.period");
            await admin.ExpectErrorAsync(400, "invalid_budget", method, path, Body(method, new { budget = new { amount = 1, period = "1" } }), "budget.period");
            await admin.ExpectErrorAsync(400, "invalid_budget", method, path, Body(method, new { budget = new { amount = 1, period = 1 } }), "budget.period");
            await admin.ExpectErrorAsync(400, "invalid_budget", method, path, Body(method, new { budget = new { amount = 1, mode = "strict" } }), "budget.mode");
            await admin.ExpectErrorAsync(400, "unknown_field", method, path, Body(method, new { budget = new { amount = 1, currency = "EUR" } }));
            await admin.ExpectErrorAsync(400, "invalid_request", method, path, Body(method, new { budget = new { amount = "ten" } }));
            await admin.ExpectErrorAsync(400, "invalid_request", method, path, Body(method, new { budget = new { tokens = 1.5 } }));
            await admin.ExpectErrorAsync(400, "invalid_request", method, path, Body(method, new { budget = 10 }));
            await admin.ExpectErrorAsync(422, "invalid_limit", method, path, Body(method, new { budget = new { amount = -1 } }));
            await admin.ExpectErrorAsync(422, "invalid_limit", method, path, Body(method, new { budget = new { tokens = -5 } }));
            await admin.ExpectErrorAsync(422, "invalid_limit", method, path, Body(method, new { budget = new { period = "day" } }));
            await admin.ExpectErrorAsync(422, "invalid_limit", method, path, Body(method, new { monthly_budget_usd = -1 }));
            await admin.ExpectErrorAsync(400, "conflicting_fields", method, path, Body(method, new { budget = new { amount = 1 }, monthly_budget_usd = 1 }));
        }

        // Nothing above changed the key.
        var (_, stored) = await admin.SendAsync(HttpMethod.Get, $"manage/keys/{id}");
        Assert.Equal(JsonValueKind.Null, stored.GetProperty("budget").ValueKind);
        Assert.Equal("test key", stored.GetProperty("name").GetString());
        var (_, list) = await admin.SendAsync(HttpMethod.Get, "manage/keys?owner=o");
        Assert.Empty(list.GetProperty("data").EnumerateArray());
    }

    [Fact]
    public async Task TwoActiveKeysPerOwner_AllowRotation_AThirdIsRefused()
    {
        await using var host = await StartAsync();
        var admin = new AdminClient(host.Http);
        var (oldId, oldSecret) = await admin.CreateKeyAsync("team-r");
        var (_, newSecret) = await admin.CreateKeyAsync("team-r");
        Assert.Equal(200, await CallAsync(host, oldSecret));
        Assert.Equal(200, await CallAsync(host, newSecret));

        var (status, error) = await admin.SendAsync(HttpMethod.Post, "manage/keys", new { name = "third", owner = "team-r" });
        Assert.Equal(409, status);
        Assert.Equal("too_many_active_keys", error.GetProperty("error").GetProperty("code").GetString());

        Assert.Equal(200, (await admin.SendAsync(HttpMethod.Post, $"manage/keys/{oldId}/revoke")).Status);
        Assert.Equal(200, await CallAsync(host, newSecret));
        await admin.CreateKeyAsync("team-r");
    }

    [Fact]
    public async Task AdminApi_RefusesClientKeys_AndClientApiRefusesAdminKeys()
    {
        await using var host = await StartAsync();
        var (_, secret) = await new AdminClient(host.Http).CreateKeyAsync("team-s");

        foreach (var key in new[] { secret, GatewayHost.Key, "", "tg-nothing" })
        {
            var (status, _) = await new AdminClient(host.Http, key).SendAsync(HttpMethod.Get, "manage/keys");
            Assert.Equal(401, status);
        }
        Assert.Equal(401, await CallAsync(host, GatewayHost.AdminKey));

        using var cors = new HttpRequestMessage(HttpMethod.Options, "manage/keys");
        cors.Headers.Add("Origin", "https://evil.example");
        cors.Headers.Add("Access-Control-Request-Method", "POST");
        using var preflight = await host.Http.SendAsync(cors, Ct);
        Assert.False(preflight.Headers.Contains("Access-Control-Allow-Origin"));
    }

    [Fact]
    public async Task BadAdminInput_GetsClearErrors()
    {
        await using var host = await StartAsync();
        var admin = new AdminClient(host.Http);
        await admin.ExpectErrorAsync(400, "invalid_name", HttpMethod.Post, "manage/keys", new { name = "", owner = "x" });
        await admin.ExpectErrorAsync(400, "invalid_owner", HttpMethod.Post, "manage/keys", new { name = "n", owner = "a\nb" });
        await admin.ExpectErrorAsync(400, "invalid_request", HttpMethod.Post, "manage/keys", new StringContent("{not json", System.Text.Encoding.UTF8, "application/json"));
        await admin.ExpectErrorAsync(400, "invalid_request", HttpMethod.Post, "manage/keys", new StringContent("null", System.Text.Encoding.UTF8, "application/json"));
        await admin.ExpectErrorAsync(422, "invalid_limit", HttpMethod.Post, "manage/keys", new { name = "n", owner = "o", requests_per_minute = -1 });
        await admin.ExpectErrorAsync(404, "key_not_found", HttpMethod.Get, "manage/keys/0123456789abcdef");
        await admin.ExpectErrorAsync(404, "key_not_found", HttpMethod.Get, "manage/keys/bad'id");
        await admin.ExpectErrorAsync(404, "key_not_found", HttpMethod.Post, "manage/keys/0123456789abcdef/revoke");
        await admin.ExpectErrorAsync(400, "invalid_request", HttpMethod.Get, "manage/keys?continuation_token=not*a*token");
        var (id, _) = await admin.CreateKeyAsync("team-b");
        await admin.ExpectErrorAsync(400, "unknown_field", HttpMethod.Patch, $"manage/keys/{id}", new { owner = "someone-else" });
        await admin.ExpectErrorAsync(400, "invalid_request", HttpMethod.Patch, $"manage/keys/{id}", new { requests_per_minute = "sixty" });
        await admin.ExpectErrorAsync(400, "invalid_request", HttpMethod.Patch, $"manage/keys/{id}", new[] { 1 });
        await admin.ExpectErrorAsync(422, "invalid_limit", HttpMethod.Patch, $"manage/keys/{id}", new { tokens_per_minute = 0 });
        await admin.ExpectErrorAsync(400, "invalid_time", HttpMethod.Get, $"manage/keys/{id}/usage?from=yesterday");
        await admin.ExpectErrorAsync(422, "invalid_range", HttpMethod.Get, $"manage/keys/{id}/usage?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z");
    }
}
