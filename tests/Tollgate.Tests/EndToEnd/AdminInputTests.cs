using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using Tollgate.Tests.Harness;

namespace Tollgate.Tests.EndToEnd;

/// <summary>
/// What the admin API accepts, over Kestrel and Azurite: owner names every owner route can name, times and months in
/// range, JSON bodies only, expiries in the future, models the gateway serves, and reports only on keys that exist.
/// </summary>
public sealed class AdminInputTests(AzuriteFixture azurite)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private Task<GatewayHost> StartAsync(Action<Dictionary<string, string?>>? configure = null) =>
        GatewayHost.StartAsync(configure, azurite.ConnectionString, azurite.UniquePrefix());

    /// <summary>Every route that takes {owner}, for <paramref name="segment"/> as it appears in the path.</summary>
    private static IEnumerable<(HttpMethod Method, string Path, object? Body)> OwnerRoutes(string segment) =>
    [
        (HttpMethod.Put, $"manage/owners/{segment}/budget", new { amount = 1 }),
        (HttpMethod.Get, $"manage/owners/{segment}/budget", null),
        (HttpMethod.Delete, $"manage/owners/{segment}/budget", null),
        (HttpMethod.Get, $"manage/owners/{segment}/statement", null),
        (HttpMethod.Get, $"manage/owners/{segment}/rollups", null),
    ];

    private static HttpRequestMessage Chat(string key, int maxTokens)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions")
        {
            Content = JsonContent.Create(new { model = "gpt-test", max_tokens = maxTokens, messages = new[] { new { role = "user", content = "hi" } } }),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return request;
    }

    [Theory]
    [InlineData("team/x")]
    [InlineData("50%")]
    [InlineData("50%2Fx")]
    [InlineData("back\\slash")]
    [InlineData("..")]
    public async Task AnOwnerNoRouteCanName_IsRefusedAtCreation_AndByEveryOwnerRoute(string owner)
    {
        await using var host = await StartAsync();
        var admin = new AdminClient(host.Http);
        await admin.ExpectErrorAsync(400, "invalid_owner", HttpMethod.Post, "manage/keys", new { name = "k", owner });
        var (status, body) = await admin.SendAsync(HttpMethod.Get, "manage/keys?owner=" + Uri.EscapeDataString(owner));
        Assert.Equal(200, status);
        Assert.Empty(body.GetProperty("data").EnumerateArray());
        if (owner == "..")
        {
            return; // A dot segment leaves the path before routing: /manage/owners/../budget is /manage/budget.
        }
        foreach (var (method, path, request) in OwnerRoutes(Uri.EscapeDataString(owner)))
        {
            (status, body) = await admin.SendAsync(method, path, request);
            Assert.True(status == 400, $"{method} {path} answered {status}: {body}");
            Assert.Equal("invalid_owner", body.GetProperty("error").GetProperty("code").GetString());
        }
    }

    [Fact]
    public async Task OwnersWithSpacesPunctuationAndNonAscii_WorkEndToEnd_BudgetEnforcedAndStatementFound()
    {
        await using var host = await StartAsync();
        var admin = new AdminClient(host.Http);
        foreach (var owner in new[] { "team x", "équipe ü", "团队", "a+b?c#d&e=f", " lead space" })
        {
            var segment = Uri.EscapeDataString(owner);
            var (keyId, secret) = await admin.CreateKeyAsync(owner);
            using (var served = await host.Http.SendAsync(Chat(secret, 5), Ct))
            {
                Assert.Equal(HttpStatusCode.OK, served.StatusCode);
            }
            await admin.WaitForUsageAsync(keyId, 1);
            Assert.Equal(200, (await admin.SendAsync(HttpMethod.Post, "manage/billing/aggregate")).Status);

            var (status, statement) = await admin.SendAsync(HttpMethod.Get, $"manage/owners/{segment}/statement");
            Assert.True(status == 200, $"{owner}: {statement}");
            Assert.Equal(owner, statement.GetProperty("id").GetString());
            Assert.Contains(statement.GetProperty("lines").EnumerateArray(), l => l.GetProperty("model").GetString() == "gpt-test");
            var (_, rollups) = await admin.SendAsync(HttpMethod.Get, $"manage/owners/{segment}/rollups?period=month");
            Assert.Single(rollups.GetProperty("data").EnumerateArray());

            // A budget set through the route is the owner's: the next request that may cost more is refused.
            var (set, budget) = await admin.SendAsync(HttpMethod.Put, $"manage/owners/{segment}/budget", new { amount = 0.000001m });
            Assert.True(set == 200, $"{owner}: {budget}");
            Assert.Equal(owner, budget.GetProperty("owner").GetString());
            using (var refused = await host.Http.SendAsync(Chat(secret, 1000), Ct))
            {
                Assert.Equal(HttpStatusCode.PaymentRequired, refused.StatusCode);
                using var error = System.Text.Json.JsonDocument.Parse(await refused.Content.ReadAsStringAsync(Ct));
                Assert.StartsWith($"The budget of owner '{owner}'", error.RootElement.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
            }
            Assert.Equal(owner, (await admin.SendAsync(HttpMethod.Get, $"manage/owners/{segment}/budget")).Body.GetProperty("owner").GetString());
            Assert.Equal(204, (await admin.SendAsync(HttpMethod.Delete, $"manage/owners/{segment}/budget")).Status);
        }
    }

    [Theory]
    [InlineData("manage/keys/key-main/statement?month=9999-12", "invalid_month", "month")]
    [InlineData("manage/owners/team-a/statement?month=9999-12", "invalid_month", "month")]
    [InlineData("manage/owners/team-a/statement?month=0001-01", "invalid_month", "month")]
    [InlineData("manage/keys/key-main/rollups?from=0001-01-01T00:00:00Z&to=0001-01-02T00:00:00Z", "invalid_time", "from")]
    [InlineData("manage/keys/key-main/rollups?to=0001-01-01T00:00:00Z", "invalid_time", "to")]
    [InlineData("manage/owners/team-a/rollups?period=month&from=9999-01-01T00:00:00Z&to=9999-12-31T23:59:59Z", "invalid_time", "from")]
    [InlineData("manage/keys/key-main/usage?from=9999-12-31T00:00:00Z&to=9999-12-31T23:59:59Z", "invalid_time", "from")]
    [InlineData("manage/keys/key-main/usage?to=0001-01-01T00:00:00Z", "invalid_time", "to")]
    [InlineData("manage/prices?at=9999-12-31T23:59:59Z", "invalid_time", "at")]
    public async Task ExtremeTimesAndMonths_AreAClear400NamingTheParameter(string path, string code, string param)
    {
        await using var host = await StartAsync();
        await new AdminClient(host.Http).ExpectErrorAsync(400, code, HttpMethod.Get, path, param: param);
    }

    [Fact]
    public async Task TheLastAndFirstMonthsServed_AnswerEmptyStatements()
    {
        await using var host = await StartAsync();
        var admin = new AdminClient(host.Http);
        foreach (var month in new[] { "9998-12", "2000-01" })
        {
            var (status, body) = await admin.SendAsync(HttpMethod.Get, $"manage/owners/team-a/statement?month={month}");
            Assert.True(status == 200, body.ToString());
            Assert.Empty(body.GetProperty("lines").EnumerateArray());
        }
    }

    [Fact]
    public async Task ABodyDeclaredAsSomethingElseThanJson_Is415_WithoutAContentTypeItIsRead()
    {
        await using var host = await StartAsync();
        var admin = new AdminClient(host.Http);
        var (keyId, _) = await admin.CreateKeyAsync("team-ct");
        foreach (var (method, path, json) in new[]
                 {
                     (HttpMethod.Post, "manage/keys", """{"name":"k","owner":"team-ct"}"""),
                     (HttpMethod.Patch, $"manage/keys/{keyId}", """{"name":"renamed"}"""),
                     (HttpMethod.Put, "manage/owners/team-ct/budget", """{"amount":5}"""),
                     (HttpMethod.Put, "manage/prices", $$"""{"model":"gpt-test","effective_from":"{{DateTimeOffset.UtcNow.AddDays(3):O}}","input_per_million":1,"output_per_million":2}"""),
                 })
        {
            var (status, body) = await admin.SendAsync(method, path, new StringContent(json, Encoding.UTF8, "text/plain"));
            Assert.True(status == 415, $"{method} {path} answered {status}: {body}");
            Assert.Equal(("invalid_request_error", "invalid_content_type"),
                (body.GetProperty("error").GetProperty("type").GetString(), body.GetProperty("error").GetProperty("code").GetString()));

            var bare = new ByteArrayContent(Encoding.UTF8.GetBytes(json));
            (status, body) = await admin.SendAsync(method, path, bare);
            Assert.True(status is 200 or 201, $"{method} {path} without a Content-Type answered {status}: {body}");
        }
    }

    [Fact]
    public async Task AnExpiryInThePast_IsRefused_AtCreationAndUpdate()
    {
        await using var host = await StartAsync();
        var admin = new AdminClient(host.Http);
        var past = DateTimeOffset.UtcNow.AddMinutes(-1);
        await admin.ExpectErrorAsync(400, "invalid_expiry", HttpMethod.Post, "manage/keys", new { name = "k", owner = "team-e", expires_at = past }, param: "expires_at");
        var (keyId, _) = await admin.CreateKeyAsync("team-e");
        await admin.ExpectErrorAsync(400, "invalid_expiry", HttpMethod.Patch, $"manage/keys/{keyId}", new { expires_at = past }, param: "expires_at");

        var future = DateTimeOffset.UtcNow.AddDays(1);
        var (status, body) = await admin.SendAsync(HttpMethod.Patch, $"manage/keys/{keyId}", new { expires_at = future });
        Assert.True(status == 200, body.ToString());
        Assert.Equal(200, (await admin.SendAsync(HttpMethod.Patch, $"manage/keys/{keyId}", new Dictionary<string, object?> { ["expires_at"] = null })).Status);
    }

    [Fact]
    public async Task AModelNoRouteServes_IsRefusedInAKeysModels_AndInPrices_AliasesAreServed()
    {
        await using var host = await StartAsync(s =>
        {
            s["Tollgate:Routes:routed:Deployments:0:Upstream"] = "mock";
            s["Tollgate:Routes:routed:Deployments:0:Model"] = "mock";
            s["Tollgate:Routes:routed:Aliases:0"] = "routed-alias";
        });
        var admin = new AdminClient(host.Http);
        await admin.ExpectErrorAsync(400, "model_not_served", HttpMethod.Post, "manage/keys", new { name = "k", owner = "team-m", models = new[] { "gpt-test", "gpt-nope" } }, param: "models");
        var (keyId, _) = await admin.CreateKeyAsync("team-m", models: ["gpt-test", "routed", "routed-alias"]);
        await admin.ExpectErrorAsync(400, "model_not_served", HttpMethod.Patch, $"manage/keys/{keyId}", new { models = new[] { "gpt-nope" } }, param: "models");
        Assert.Equal(200, (await admin.SendAsync(HttpMethod.Patch, $"manage/keys/{keyId}", new { models = new[] { "routed-alias" } })).Status);

        var from = DateTimeOffset.UtcNow.AddDays(2);
        await admin.ExpectErrorAsync(400, "model_not_served", HttpMethod.Put, "manage/prices",
            new { model = "gpt-nope", effective_from = from, input_per_million = 1, output_per_million = 2 }, param: "model");
        var (status, body) = await admin.SendAsync(HttpMethod.Put, "manage/prices", new { model = "routed-alias", effective_from = from, input_per_million = 1, output_per_million = 2 });
        Assert.True(status == 200, body.ToString());
    }

    [Fact]
    public async Task ReportsOnAKeyThatDoesNotExist_Are404_OnesOnConfigurationAndStoredKeysAre200()
    {
        await using var host = await StartAsync();
        var admin = new AdminClient(host.Http);
        var (stored, _) = await admin.CreateKeyAsync("team-r");
        foreach (var report in new[] { "statement", "rollups", "usage" })
        {
            await admin.ExpectErrorAsync(404, "key_not_found", HttpMethod.Get, $"manage/keys/no-such-key/{report}");
            await admin.ExpectErrorAsync(404, "key_not_found", HttpMethod.Get, $"manage/keys/{Uri.EscapeDataString("bad id/é")}/{report}");
            foreach (var id in new[] { "key-main", stored })
            {
                var (status, body) = await admin.SendAsync(HttpMethod.Get, $"manage/keys/{id}/{report}");
                Assert.True(status == 200, $"{id} {report}: {body}");
            }
        }
    }
}
