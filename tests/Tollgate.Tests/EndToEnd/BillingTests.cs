using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Tollgate.Tests.Harness;

namespace Tollgate.Tests.EndToEnd;

/// <summary>Prices, costs, rollups, statements and /v1/usage through the real path: Kestrel, the mock upstream and Azurite.</summary>
public sealed class BillingTests(AzuriteFixture azurite)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static HttpRequestMessage Chat(string key, string model, bool stream = false)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions")
        {
            Content = JsonAssert.Body(JsonSerializer.Serialize(new { model, stream, messages = new[] { new { role = "user", content = "hello there" } } })),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return request;
    }

    private static async Task<(HttpStatusCode Status, string Id, string Body)> SendAsync(GatewayHost host, HttpRequestMessage request)
    {
        using var response = await host.Http.SendAsync(request, Ct);
        var body = await response.Content.ReadAsStringAsync(Ct);
        return (response.StatusCode, response.Headers.GetValues("x-request-id").Single(), body);
    }

    private static decimal Cost(JsonElement record, decimal input, decimal cached, decimal output)
    {
        var prompt = record.GetProperty("prompt_tokens").GetInt64();
        var cachedTokens = record.GetProperty("cached_tokens").GetInt64();
        var completion = record.GetProperty("completion_tokens").GetInt64();
        return ((prompt - cachedTokens) * input + cachedTokens * cached + completion * output) / 1_000_000m;
    }

    [Fact]
    public async Task AModelWithoutAPrice_IsRefusedBeforeForwarding_WithModelNotPriced()
    {
        await using var host = await GatewayHost.StartAsync(s => s["Tollgate:Upstreams:mock:Models:gpt-free"] = "mock", azurite.ConnectionString, azurite.UniquePrefix());

        var (status, id, body) = await SendAsync(host, Chat(GatewayHost.Key, "gpt-free"));

        Assert.Equal(HttpStatusCode.Forbidden, status);
        JsonAssert.AssertError(body, "model_not_priced");
        Assert.Null(await host.UpstreamRequestAsync(id));
        var record = Assert.Single(await new AdminClient(host.Http).WaitForUsageAsync("key-main", 1), r => r.GetProperty("request_id").GetString() == id);
        Assert.Equal("Rejected", record.GetProperty("outcome").GetString());
        Assert.Equal(0m, record.GetProperty("cost").GetDecimal());
    }

    [Fact]
    public async Task AllowUnpriced_ServesTheModel_RecordsItUnpriced_WarnsCounts_AndMarksTheStatement()
    {
        await using var host = await GatewayHost.StartAsync(s =>
        {
            s["Tollgate:Upstreams:mock:Models:gpt-free"] = "mock";
            s["Tollgate:Billing:AllowUnpriced"] = "true";
        }, azurite.ConnectionString, azurite.UniquePrefix());
        var admin = new AdminClient(host.Http);

        var (status, free, _) = await SendAsync(host, Chat(GatewayHost.Key, "gpt-free"));
        var (_, priced, _) = await SendAsync(host, Chat(GatewayHost.Key, "gpt-test"));

        Assert.Equal(HttpStatusCode.OK, status);
        var records = await admin.WaitForUsageAsync("key-main", 2);
        var unpriced = records.Single(r => r.GetProperty("request_id").GetString() == free);
        Assert.True(unpriced.GetProperty("unpriced").GetBoolean());
        Assert.Equal(JsonValueKind.Null, unpriced.GetProperty("price_version").ValueKind);
        Assert.False(records.Single(r => r.GetProperty("request_id").GetString() == priced).GetProperty("unpriced").GetBoolean());
        Assert.Contains(host.Logs.Lines, l => l.EventId.Id == 4001 && l.Message.Contains("gpt-free", StringComparison.Ordinal));

        Assert.Equal(200, (await admin.SendAsync(HttpMethod.Post, "manage/billing/aggregate")).Status);
        var (_, statement) = await admin.SendAsync(HttpMethod.Get, "manage/keys/key-main/statement");
        Assert.Equal(["gpt-free"], statement.GetProperty("unpriced_models").EnumerateArray().Select(e => e.GetString()));
        var line = statement.GetProperty("lines").EnumerateArray().Single(l => l.GetProperty("model").GetString() == "gpt-free");
        Assert.True(line.GetProperty("unpriced").GetBoolean());
        Assert.Equal(1, line.GetProperty("unpriced_requests").GetInt64());
    }

    [Fact]
    public async Task EachRecord_CarriesItsCost_AndAPriceChangedMidMonth_AppliesFromItsStart_WhileEarlierRequestsKeepTheirs()
    {
        await using var host = await GatewayHost.StartAsync(null, azurite.ConnectionString, azurite.UniquePrefix());
        var admin = new AdminClient(host.Http);

        // A price cannot start in the past.
        var (past, pastBody) = await admin.SendAsync(HttpMethod.Put, "manage/prices",
            new { model = "gpt-reasoning", effective_from = DateTimeOffset.UtcNow.AddHours(-1), input_per_million = 9, output_per_million = 9 });
        Assert.Equal(422, past);
        Assert.Equal("price_in_past", pastBody.GetProperty("error").GetProperty("code").GetString());

        // The new price starts a few seconds from now; requests before it keep the configured one.
        var effective = DateTimeOffset.UtcNow.AddSeconds(4);
        var (set, price) = await admin.SendAsync(HttpMethod.Put, "manage/prices",
            new { model = "gpt-reasoning", effective_from = effective, input_per_million = 3.0m, cached_input_per_million = 1.5m, output_per_million = 12.0m });
        Assert.Equal(200, set);
        Assert.Equal("stored", price.GetProperty("source").GetString());
        var (_, before, _) = await SendAsync(host, Chat(GatewayHost.Key, "gpt-reasoning"));
        while (DateTimeOffset.UtcNow < effective.AddMilliseconds(50))
        {
            await Task.Delay(100, Ct);
        }
        var (_, after, _) = await SendAsync(host, Chat(GatewayHost.Key, "gpt-reasoning"));

        var records = (await admin.WaitForUsageAsync("key-main", 2)).ToDictionary(r => r.GetProperty("request_id").GetString()!);
        var first = records[before];
        var second = records[after];
        Assert.True(first.GetProperty("started_at").GetDateTimeOffset() < effective, "the first request started before the new price");
        Assert.Equal("gpt-reasoning/2020-01-01T00:00:00Z", first.GetProperty("price_version").GetString());
        Assert.Equal(price.GetProperty("version").GetString(), second.GetProperty("price_version").GetString());
        Assert.Equal(Cost(first, GatewayHost.InputPrice, GatewayHost.CachedInputPrice, GatewayHost.OutputPrice), first.GetProperty("cost").GetDecimal());
        Assert.Equal(Cost(second, 3.0m, 1.5m, 12.0m), second.GetProperty("cost").GetDecimal());
        Assert.True(second.GetProperty("cached_tokens").GetInt64() > 0 && second.GetProperty("reasoning_tokens").GetInt64() > 0);

        // The admin list shows both, the new one in effect; the month's rollup is their sum.
        var (_, list) = await admin.SendAsync(HttpMethod.Get, "manage/prices");
        var versions = list.GetProperty("data").EnumerateArray().Where(p => p.GetProperty("model").GetString() == "gpt-reasoning")
            .Select(p => (p.GetProperty("source").GetString(), p.GetProperty("in_effect").GetBoolean())).ToList();
        Assert.Equal([("configuration", false), ("stored", true)], versions);
        Assert.Equal(200, (await admin.SendAsync(HttpMethod.Post, "manage/billing/aggregate")).Status);
        var (_, rollups) = await admin.SendAsync(HttpMethod.Get, "manage/keys/key-main/rollups?period=month");
        var month = Assert.Single(rollups.GetProperty("data").EnumerateArray());
        Assert.Equal(first.GetProperty("cost").GetDecimal() + second.GetProperty("cost").GetDecimal(),
            month.GetProperty("models").GetProperty("gpt-reasoning").GetProperty("cost").GetDecimal());

        // A price that has been in effect cannot be removed; a future one can.
        var at = Uri.EscapeDataString(effective.ToString("O", CultureInfo.InvariantCulture));
        Assert.Equal(409, (await admin.SendAsync(HttpMethod.Delete, $"manage/prices?model=gpt-reasoning&effective_from={at}")).Status);
    }

    [Fact]
    public async Task TheStatement_AsCsv_OpensInASpreadsheet_AndAddsUpToTheJson()
    {
        const string oddModel = "odd,\"quoted\" model";
        await using var host = await GatewayHost.StartAsync(s =>
        {
            s[$"Tollgate:Upstreams:mock:Models:{oddModel}"] = "mock@details";
            GatewayHost.AddPrice(s, oddModel);
        }, azurite.ConnectionString, azurite.UniquePrefix());
        var admin = new AdminClient(host.Http);
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await SendAsync(host, Chat(GatewayHost.Key, i == 0 ? oddModel : "gpt-test", stream: i == 2))).Status);
        }
        await admin.WaitForUsageAsync("key-main", 3);
        Assert.Equal(200, (await admin.SendAsync(HttpMethod.Post, "manage/billing/aggregate")).Status);

        var (_, json) = await admin.SendAsync(HttpMethod.Get, "manage/owners/team-a/statement");
        using var request = new HttpRequestMessage(HttpMethod.Get, "manage/owners/team-a/statement?format=csv");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", GatewayHost.AdminKey);
        using var response = await host.Http.SendAsync(request, Ct);
        Assert.Equal("text/csv", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("attachment", response.Content.Headers.ContentDisposition?.ToString(), StringComparison.Ordinal);
        var csv = await response.Content.ReadAsStringAsync(Ct);

        var rows = Rfc4180.Parse(csv);
        Assert.Equal(["model", "requests", "errors", "prompt_tokens", "cached_tokens", "completion_tokens", "reasoning_tokens", "cost", "currency", "unpriced_requests", "note"], rows[0]);
        Assert.All(rows, r => Assert.Equal(11, r.Count));
        Assert.Equal(["gpt-test", oddModel, "TOTAL"], rows.Skip(1).Select(r => r[0]));
        Assert.Contains("\"odd,\"\"quoted\"\" model\"", csv, StringComparison.Ordinal);
        var total = rows[^1];
        Assert.Equal("TOTAL", total[0]);
        Assert.Equal("3", total[1]);
        Assert.Equal(json.GetProperty("total").GetProperty("cost").GetDecimal(), decimal.Parse(total[7], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture));
        Assert.Matches(@"^\d+\.\d{2}$", total[7]);
        Assert.Equal(rows.Skip(1).SkipLast(1).Sum(r => long.Parse(r[3], CultureInfo.InvariantCulture)), long.Parse(total[3], CultureInfo.InvariantCulture));
        Assert.Equal("USD", total[8]);
    }

    [Fact]
    public async Task V1Usage_WithTheClientKey_ShowsItsOwnMonth_ThroughTheOpenAiSdksPipeline()
    {
        await using var host = await GatewayHost.StartAsync(null, azurite.ConnectionString, azurite.UniquePrefix());
        var admin = new AdminClient(host.Http);
        var (keyId, key) = await admin.CreateKeyAsync("team-usage");
        Assert.Equal(200, (await admin.SendAsync(HttpMethod.Patch, $"manage/keys/{keyId}", new { budget = new { amount = 10m }, requests_per_minute = 60 })).Status);
        await SendAsync(host, Chat(key, "gpt-test"));
        await SendAsync(host, Chat(key, "gpt-reasoning", stream: true));
        await SendAsync(host, Chat(GatewayHost.Key, "gpt-test")); // another key's request is not this key's usage
        await admin.WaitForUsageAsync(keyId, 2);
        Assert.Equal(200, (await admin.SendAsync(HttpMethod.Post, "manage/billing/aggregate")).Status);

        foreach (var path in new[] { "v1/usage", "api/v1/usage" })
        {
            var pipeline = host.OpenAIClient(key).Pipeline;
            using var message = pipeline.CreateMessage();
            message.Request.Method = "GET";
            message.Request.Uri = new Uri(host.BaseUri, path);
            await pipeline.SendAsync(message);
            Assert.Equal(200, message.Response!.Status);
            using var document = JsonDocument.Parse(message.Response.Content.ToString());
            var usage = document.RootElement;

            Assert.Equal("usage", usage.GetProperty("object").GetString());
            Assert.Equal(keyId, usage.GetProperty("key_id").GetString());
            Assert.Equal(2, usage.GetProperty("requests").GetInt64());
            var models = usage.GetProperty("models").EnumerateArray().Select(m => m.GetProperty("model").GetString()).ToList();
            Assert.Equal(["gpt-reasoning", "gpt-test"], models);
            var spend = usage.GetProperty("spend").GetDecimal();
            Assert.True(spend > 0);
            Assert.Equal(usage.GetProperty("models").EnumerateArray().Sum(m => m.GetProperty("cost").GetDecimal()), spend);
            var budget = Assert.Single(usage.GetProperty("budgets").EnumerateArray());
            Assert.Equal(("key", "month", "hard", 10m), (budget.GetProperty("scope").GetString(), budget.GetProperty("period").GetString(),
                budget.GetProperty("mode").GetString(), budget.GetProperty("amount").GetDecimal()));
            // The budget's figures are live: the same spend as the rollup, nothing in flight held once the allowance went back or not.
            Assert.Equal(spend, budget.GetProperty("spent").GetDecimal());
            Assert.Equal(10m - spend, budget.GetProperty("remaining").GetDecimal());
            Assert.Equal(JsonValueKind.Null, budget.GetProperty("remaining_tokens").ValueKind);
            Assert.Equal(usage.GetProperty("period").GetProperty("resets_at").GetDateTimeOffset(), budget.GetProperty("resets_at").GetDateTimeOffset());
            Assert.Equal(60, usage.GetProperty("limits").GetProperty("requests_per_minute").GetInt64());
            var resets = usage.GetProperty("period").GetProperty("resets_at").GetDateTimeOffset();
            Assert.Equal(new DateTimeOffset(DateTime.UtcNow.Year, DateTime.UtcNow.Month, 1, 0, 0, 0, TimeSpan.Zero).AddMonths(1), resets);
            Assert.NotEqual(JsonValueKind.Null, usage.GetProperty("as_of").ValueKind);
        }

        using var anonymous = await host.Http.GetAsync("v1/usage", Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
    }

    [Fact]
    public async Task TwoHostsOnOneStorage_AggregatingAtOnce_AgreeWithTheRecords()
    {
        var prefix = azurite.UniquePrefix();
        await using var first = await GatewayHost.StartAsync(null, azurite.ConnectionString, prefix);
        await using var second = await GatewayHost.StartAsync(null, azurite.ConnectionString, prefix);
        for (var i = 0; i < 6; i++)
        {
            await SendAsync(i % 2 == 0 ? first : second, Chat(GatewayHost.Key, i % 3 == 0 ? "gpt-reasoning" : "gpt-test", stream: i % 2 == 1));
        }
        var admin = new AdminClient(first.Http);
        var records = await admin.WaitForUsageAsync("key-main", 6);
        Assert.Equal(6, records.Count);

        var runs = await Task.WhenAll(admin.SendAsync(HttpMethod.Post, "manage/billing/aggregate"), new AdminClient(second.Http).SendAsync(HttpMethod.Post, "manage/billing/aggregate"));
        Assert.All(runs, r => Assert.Equal(200, r.Status));
        await admin.SendAsync(HttpMethod.Post, "manage/billing/aggregate");

        var (_, statement) = await admin.SendAsync(HttpMethod.Get, "manage/keys/key-main/statement");
        var total = statement.GetProperty("total");
        Assert.Equal(6, total.GetProperty("requests").GetInt64());
        Assert.Equal(records.Sum(r => r.GetProperty("prompt_tokens").GetInt64()), total.GetProperty("prompt_tokens").GetInt64());
        Assert.Equal(records.Sum(r => r.GetProperty("completion_tokens").GetInt64()), total.GetProperty("completion_tokens").GetInt64());
        Assert.Equal(Math.Round(records.Sum(r => r.GetProperty("cost").GetDecimal()), 2, MidpointRounding.AwayFromZero), total.GetProperty("cost").GetDecimal());
    }
}

/// <summary>A strict RFC 4180 reader: what a spreadsheet's CSV import does with quoting and line ends.</summary>
internal static class Rfc4180
{
    public static List<List<string>> Parse(string text)
    {
        var rows = new List<List<string>>();
        var row = new List<string>();
        var field = new StringBuilder();
        var i = 0;
        var quoted = false;
        while (i < text.Length)
        {
            var c = text[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < text.Length && text[i + 1] == '"')
                {
                    field.Append('"');
                    i += 2;
                    continue;
                }
                if (c == '"')
                {
                    quoted = false;
                    i++;
                    Assert.True(i >= text.Length || text[i] is ',' or '\r', "a closing quote must end the field");
                    continue;
                }
                field.Append(c);
                i++;
                continue;
            }
            switch (c)
            {
                case '"':
                    Assert.True(field.Length == 0, "a quote inside an unquoted field");
                    quoted = true;
                    break;
                case ',':
                    row.Add(field.ToString());
                    field.Clear();
                    break;
                case '\r':
                    Assert.True(i + 1 < text.Length && text[i + 1] == '\n', "rows end with CRLF");
                    row.Add(field.ToString());
                    field.Clear();
                    rows.Add(row);
                    row = [];
                    i++;
                    break;
                case '\n':
                    Assert.Fail("a bare LF outside quotes");
                    break;
                default:
                    field.Append(c);
                    break;
            }
            i++;
        }
        Assert.False(quoted, "the text ends inside quotes");
        Assert.True(row.Count == 0 && field.Length == 0, "the last row ends with CRLF");
        return rows;
    }
}
