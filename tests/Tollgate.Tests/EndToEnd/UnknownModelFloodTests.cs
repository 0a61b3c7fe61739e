using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Tollgate.Billing;
using Tollgate.Tests.Harness;
using Tollgate.Usage;

namespace Tollgate.Tests.EndToEnd;

/// <summary>
/// A client that names thousands of distinct, long, unknown models must not stop billing: through Kestrel, the ledger and
/// Azurite, the aggregation still runs, and rollups, statements and /v1/usage still answer, for that key and for others.
/// </summary>
public sealed class UnknownModelFloodTests(AzuriteFixture azurite)
{
    private const int Flood = 3000;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static HttpRequestMessage Chat(string key, string model)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions")
        {
            Content = JsonAssert.Body(JsonSerializer.Serialize(new { model, messages = new[] { new { role = "user", content = "hi" } } })),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return request;
    }

    private static async Task<JsonElement> MonthAsync(AdminClient admin, string keyId)
    {
        var (status, body) = await admin.SendAsync(HttpMethod.Get, $"manage/keys/{keyId}/rollups?period=month");
        Assert.Equal(200, status);
        return body.GetProperty("data").EnumerateArray().SingleOrDefault();
    }

    private static long Requests(JsonElement month) => month.ValueKind == JsonValueKind.Undefined ? 0 : month.GetProperty("total").GetProperty("requests").GetInt64();

    [Fact]
    public async Task ThousandsOfDistinctLongUnknownModels_LeaveBillingRunning_ForEveryKey()
    {
        await using var host = await GatewayHost.StartAsync(null, azurite.ConnectionString, azurite.UniquePrefix());
        var admin = new AdminClient(host.Http);

        for (var i = 0; i < 2; i++)
        {
            using var served = await host.Http.SendAsync(Chat(GatewayHost.LimitedKey, "gpt-test"), Ct);
            Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        }
        // Each a different 255-character name (different from the first character on, so no cut makes two alike).
        await Parallel.ForEachAsync(Enumerable.Range(0, Flood), new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = Ct }, async (i, ct) =>
        {
            using var response = await host.Http.SendAsync(Chat(GatewayHost.Key, $"{i:D6}-" + new string((char)('a' + i % 26), 248)), ct);
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        });

        // Aggregate until every record is stored and rolled up (bounded); every run must succeed.
        for (var attempt = 0; attempt < 60 && Requests(await MonthAsync(admin, "key-main")) < Flood; attempt++)
        {
            var (status, run) = await admin.SendAsync(HttpMethod.Post, "manage/billing/aggregate");
            Assert.True(status == 200, $"aggregation answered {status}: {run}");
            await Task.Delay(250, Ct);
        }

        var flooded = await MonthAsync(admin, "key-main");
        Assert.Equal(Flood, Requests(flooded));
        var line = Assert.Single(flooded.GetProperty("models").EnumerateObject());
        Assert.Equal((UsageRecord.UnknownModel, (long)Flood), (line.Name, line.Value.GetProperty("requests").GetInt64()));

        // The other key: its rollup, its statement and its own /v1/usage.
        var other = await MonthAsync(admin, "key-limited");
        Assert.Equal(2, Requests(other));
        Assert.Equal(2, other.GetProperty("models").GetProperty("gpt-test").GetProperty("requests").GetInt64());
        var (statementStatus, statement) = await admin.SendAsync(HttpMethod.Get, "manage/keys/key-limited/statement");
        Assert.Equal(200, statementStatus);
        Assert.Equal("gpt-test", Assert.Single(statement.GetProperty("lines").EnumerateArray()).GetProperty("model").GetString());
        foreach (var (key, requests) in new[] { (GatewayHost.LimitedKey, 2L), (GatewayHost.Key, (long)Flood) })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "v1/usage");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
            using var response = await host.Http.SendAsync(request, Ct);
            var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement;
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(requests, body.GetProperty("requests").GetInt64());
            Assert.InRange(body.GetProperty("models").GetArrayLength(), 1, Rollup.MaxModels);
        }
        // The owner's statement of the flooded key adds up too.
        var (ownerStatus, owner) = await admin.SendAsync(HttpMethod.Get, "manage/owners/team-a/statement");
        Assert.Equal(200, ownerStatus);
        Assert.Equal(Flood, owner.GetProperty("total").GetProperty("requests").GetInt64());
    }
}
