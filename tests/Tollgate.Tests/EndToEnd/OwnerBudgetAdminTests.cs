using System.Text.Json;
using Tollgate.Tests.Harness;

namespace Tollgate.Tests.EndToEnd;

/// <summary>Owner budgets through the admin API: set, read, list and remove, over Azurite, with configuration's alongside.</summary>
public sealed class OwnerBudgetAdminTests(AzuriteFixture azurite)
{
    private Task<GatewayHost> StartAsync(Action<Dictionary<string, string?>>? configure = null, string? tablePrefix = null) =>
        GatewayHost.StartAsync(configure, azurite.ConnectionString, tablePrefix ?? azurite.UniquePrefix());

    private static void AssertBudget(JsonElement budget, decimal? amount, long? tokens, string period, string mode)
    {
        Assert.Equal(["amount", "tokens", "period", "mode"], budget.EnumerateObject().Select(p => p.Name));
        Assert.Equal(amount, budget.GetProperty("amount").ValueKind == JsonValueKind.Null ? null : budget.GetProperty("amount").GetDecimal());
        Assert.Equal(tokens, budget.GetProperty("tokens").ValueKind == JsonValueKind.Null ? null : budget.GetProperty("tokens").GetInt64());
        Assert.Equal((period, mode), (budget.GetProperty("period").GetString(), budget.GetProperty("mode").GetString()));
    }

    private static string Path(string owner) => $"manage/owners/{Uri.EscapeDataString(owner)}/budget";

    private static Dictionary<string, JsonElement> ByOwner(JsonElement list) =>
        list.GetProperty("data").EnumerateArray().ToDictionary(b => b.GetProperty("owner").GetString()!);

    [Fact]
    public async Task OwnerBudget_IsSetReadListedReplacedAndRemoved()
    {
        await using var host = await StartAsync();
        var admin = new AdminClient(host.Http);
        var (status, body) = await admin.SendAsync(HttpMethod.Get, Path("team a"));
        Assert.Equal(404, status);
        Assert.Equal("budget_not_found", body.GetProperty("error").GetProperty("code").GetString());

        (status, body) = await admin.SendAsync(HttpMethod.Put, Path("team a"), new { amount = 250.5m, tokens = 2_000_000, period = "week", mode = "soft" });
        Assert.Equal(200, status);
        Assert.Equal(["owner", "budget", "source"], body.EnumerateObject().Select(p => p.Name));
        Assert.Equal(("team a", "stored"), (body.GetProperty("owner").GetString(), body.GetProperty("source").GetString()));
        AssertBudget(body.GetProperty("budget"), 250.5m, 2_000_000, "week", "soft");

        (status, body) = await admin.SendAsync(HttpMethod.Get, Path("team a"));
        Assert.Equal(200, status);
        Assert.Equal(("team a", "stored"), (body.GetProperty("owner").GetString(), body.GetProperty("source").GetString()));
        AssertBudget(body.GetProperty("budget"), 250.5m, 2_000_000, "week", "soft");

        Assert.Equal(200, (await admin.SendAsync(HttpMethod.Put, Path("team-b"), new { tokens = 10 })).Status);
        (status, body) = await admin.SendAsync(HttpMethod.Get, "manage/budgets");
        Assert.Equal(200, status);
        Assert.Equal(["team a", "team-b"], body.GetProperty("data").EnumerateArray().Select(b => b.GetProperty("owner").GetString()));
        AssertBudget(ByOwner(body)["team-b"].GetProperty("budget"), null, 10, "month", "hard");
        // Each budget's current window: nothing spent or held yet, all of it left.
        var account = Assert.Single(body.GetProperty("accounts").EnumerateArray(), a => a.GetProperty("subject").GetString() == "team-b");
        Assert.Equal(("owner", "team-b"), (account.GetProperty("scope").GetString(), account.GetProperty("owner").GetString()));
        var window = account.GetProperty("budget");
        Assert.Equal((10L, 0L, 0L, 10L), (window.GetProperty("tokens").GetInt64(), window.GetProperty("spent_tokens").GetInt64(),
            window.GetProperty("held_tokens").GetInt64(), window.GetProperty("remaining_tokens").GetInt64()));
        Assert.Equal(JsonValueKind.String, window.GetProperty("resets_at").ValueKind);

        // A PUT replaces the whole budget.
        (status, body) = await admin.SendAsync(HttpMethod.Put, Path("team a"), new { amount = 5 });
        Assert.Equal(200, status);
        AssertBudget(body.GetProperty("budget"), 5m, null, "month", "hard");
        AssertBudget((await admin.SendAsync(HttpMethod.Get, Path("team a"))).Body.GetProperty("budget"), 5m, null, "month", "hard");

        (status, _) = await admin.SendAsync(HttpMethod.Delete, Path("team a"));
        Assert.Equal(204, status);
        Assert.Equal(404, (await admin.SendAsync(HttpMethod.Get, Path("team a"))).Status);
        (status, body) = await admin.SendAsync(HttpMethod.Delete, Path("team a"));
        Assert.Equal(404, status);
        Assert.Equal("budget_not_found", body.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal(["team-b"], (await admin.SendAsync(HttpMethod.Get, "manage/budgets")).Body.GetProperty("data").EnumerateArray().Select(b => b.GetProperty("owner").GetString()));

        Assert.Contains(host.Logs.Lines, l => l.EventId.Id == 4020 && l.Message.Contains("team a", StringComparison.Ordinal));
        Assert.Contains(host.Logs.Lines, l => l.EventId.Id == 4021 && l.Message.Contains("team a", StringComparison.Ordinal));
        Assert.DoesNotContain(host.Logs.Lines, l => l.Message.Contains(GatewayHost.AdminKey, StringComparison.Ordinal));
    }

    [Fact]
    public async Task ConfigurationBudgets_AreListedAsConfiguration_AndAStoredOneWinsUntilRemoved()
    {
        await using var host = await StartAsync(s =>
        {
            s["Tollgate:Quota:OwnerBudgets:team-config:Amount"] = "100";
            s["Tollgate:Quota:OwnerBudgets:team-config:Period"] = "day";
            s["Tollgate:Quota:OwnerBudgets:team-tokens:Tokens"] = "5000";
            s["Tollgate:Quota:OwnerBudgets:team-tokens:Mode"] = "soft";
        });
        var admin = new AdminClient(host.Http);

        var (status, list) = await admin.SendAsync(HttpMethod.Get, "manage/budgets");
        Assert.Equal(200, status);
        var listed = ByOwner(list);
        Assert.Equal(["team-config", "team-tokens"], listed.Keys.Order(StringComparer.Ordinal));
        Assert.All(listed.Values, b => Assert.Equal("configuration", b.GetProperty("source").GetString()));
        AssertBudget(listed["team-config"].GetProperty("budget"), 100m, null, "day", "hard");
        AssertBudget(listed["team-tokens"].GetProperty("budget"), null, 5000, "month", "soft");

        var (got, one) = await admin.SendAsync(HttpMethod.Get, Path("team-config"));
        Assert.Equal(200, got);
        Assert.Equal("configuration", one.GetProperty("source").GetString());

        // Nothing stored to remove: configuration's budget stays.
        var (deleted, error) = await admin.SendAsync(HttpMethod.Delete, Path("team-config"));
        Assert.Equal(404, deleted);
        Assert.Contains("configuration", error.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);

        Assert.Equal(200, (await admin.SendAsync(HttpMethod.Put, Path("team-config"), new { amount = 7, period = "month" })).Status);
        (_, one) = await admin.SendAsync(HttpMethod.Get, Path("team-config"));
        Assert.Equal("stored", one.GetProperty("source").GetString());
        AssertBudget(one.GetProperty("budget"), 7m, null, "month", "hard");

        Assert.Equal(204, (await admin.SendAsync(HttpMethod.Delete, Path("team-config"))).Status);
        (_, one) = await admin.SendAsync(HttpMethod.Get, Path("team-config"));
        Assert.Equal("configuration", one.GetProperty("source").GetString());
        AssertBudget(one.GetProperty("budget"), 100m, null, "day", "hard");
    }

    [Fact]
    public async Task ABudgetStoredThroughOneInstance_IsReadThroughAnother()
    {
        var prefix = azurite.UniquePrefix();
        await using var first = await StartAsync(tablePrefix: prefix);
        await using var second = await StartAsync(tablePrefix: prefix);

        Assert.Equal(200, (await new AdminClient(first.Http).SendAsync(HttpMethod.Put, Path("team-shared"), new { amount = 3 })).Status);

        var (status, body) = await new AdminClient(second.Http).SendAsync(HttpMethod.Get, Path("team-shared"));
        Assert.Equal(200, status);
        AssertBudget(body.GetProperty("budget"), 3m, null, "month", "hard");
    }

    [Fact]
    public async Task BadOwnerBudgetInput_GetsClearErrors()
    {
        await using var host = await StartAsync();
        var admin = new AdminClient(host.Http);

        var put = HttpMethod.Put;
        await admin.ExpectErrorAsync(400, "invalid_budget", put, Path("o"), new { amount = 1, period = "fortnight" }, "period");
        await admin.ExpectErrorAsync(400, "invalid_budget", put, Path("o"), new { amount = 1, mode = "1" }, "mode");
        await admin.ExpectErrorAsync(400, "unknown_field", put, Path("o"), new { amount = 1, owner = "o" });
        await admin.ExpectErrorAsync(400, "invalid_request", put, Path("o"), new { amount = "1" });
        await admin.ExpectErrorAsync(400, "invalid_request", put, Path("o"), new[] { 1 });
        await admin.ExpectErrorAsync(400, "invalid_request", put, Path("o"), new StringContent("{not json", System.Text.Encoding.UTF8, "application/json"));
        await admin.ExpectErrorAsync(422, "invalid_limit", put, Path("o"), new { amount = -0.01m });
        await admin.ExpectErrorAsync(422, "invalid_limit", put, Path("o"), new { tokens = -1 });
        await admin.ExpectErrorAsync(422, "invalid_limit", put, Path("o"), new { period = "day" });
        await admin.ExpectErrorAsync(400, "invalid_owner", put, Path(new string('x', 129)), new { amount = 1 });
        await admin.ExpectErrorAsync(400, "invalid_owner", put, Path("a\nb"), new { amount = 1 });
        await admin.ExpectErrorAsync(400, "invalid_owner", put, Path("50%"), new { amount = 1 });
        await admin.ExpectErrorAsync(400, "invalid_owner", HttpMethod.Get, Path(" "));
        await admin.ExpectErrorAsync(400, "invalid_owner", HttpMethod.Delete, Path(new string('x', 129)));
        await admin.ExpectErrorAsync(405, "method_not_allowed", HttpMethod.Post, Path("o"), new { amount = 1 });

        var (_, list) = await admin.SendAsync(HttpMethod.Get, "manage/budgets");
        Assert.Empty(list.GetProperty("data").EnumerateArray());

        // An owner name of the longest allowed length, with characters that need escaping in a URL ('%' is refused, above).
        var owner = "ä?#&+ " + new string('o', 122);
        Assert.Equal(200, (await admin.SendAsync(put, Path(owner), new { amount = 1 })).Status);
        Assert.Equal(owner, (await admin.SendAsync(HttpMethod.Get, Path(owner))).Body.GetProperty("owner").GetString());

        var (unauthorized, _) = await new AdminClient(host.Http, GatewayHost.Key).SendAsync(HttpMethod.Get, "manage/budgets");
        Assert.Equal(401, unauthorized);
    }

    [Fact]
    public async Task WithoutStorage_ReadsWork_ButChangesAreRefusedWith503()
    {
        await using var host = await GatewayHost.StartAsync(s =>
        {
            s["Tollgate:Admin:Keys:0:Id"] = "test-admin";
            s["Tollgate:Admin:Keys:0:Key"] = GatewayHost.AdminKey;
            s["Tollgate:Quota:OwnerBudgets:team-config:Amount"] = "1";
        });
        var admin = new AdminClient(host.Http);

        var (status, list) = await admin.SendAsync(HttpMethod.Get, "manage/budgets");
        Assert.Equal(200, status);
        Assert.Equal("team-config", Assert.Single(list.GetProperty("data").EnumerateArray()).GetProperty("owner").GetString());
        Assert.Equal(200, (await admin.SendAsync(HttpMethod.Get, Path("team-config"))).Status);

        foreach (var (method, body) in new[] { (HttpMethod.Put, (object?)new { amount = 1 }), (HttpMethod.Delete, null) })
        {
            var (refused, error) = await admin.SendAsync(method, Path("team-config"), body);
            Assert.Equal(503, refused);
            Assert.Equal("storage_not_configured", error.GetProperty("error").GetProperty("code").GetString());
        }
    }
}
