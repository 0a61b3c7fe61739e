using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using Microsoft.Extensions.Logging;
using Tollgate.Tests.Harness;

namespace Tollgate.Tests.Fuzz;

/// <summary>
/// RELIABILITY #41 through the full path: tens of thousands of generated bodies (<see cref="ChatBodyFuzzer"/>) from
/// keys with budgets and rate limits, over real Kestrel to the mock upstream. No body may get a 5xx, be logged as a
/// gateway fault, or leave the host unable to serve. The seed is printed on failure; set TOLLGATE_FUZZ_SEED to replay it.
/// </summary>
public sealed class ChatCompletionsFuzzTests(ITestOutputHelper output)
{
    private const string TightKey = "tg-test-fuzz-tight-0001";
    private const int Bodies = 20_000;
    private const int Workers = 8;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task TwentyThousandGeneratedBodies_WithBudgetsAndRateLimits_GetNo5xx_AndLeaveTheHostHealthy()
    {
        var seed = int.TryParse(Environment.GetEnvironmentVariable("TOLLGATE_FUZZ_SEED"), CultureInfo.InvariantCulture, out var fixedSeed)
            ? fixedSeed : Random.Shared.Next();
        output.WriteLine($"Fuzz seed: {seed} (replay with TOLLGATE_FUZZ_SEED={seed})");

        await using var host = await GatewayHost.StartAsync(s =>
        {
            // The main key: a generous hard budget and limits, so bodies reach every stage up to the upstream.
            s["Tollgate:Keys:0:Budget:Amount"] = "1000000";
            s["Tollgate:Keys:0:RequestsPerMinute"] = "100000000";
            s["Tollgate:Keys:0:TokensPerMinute"] = "1000000000000";
            // A key at its limits: budgets and rate limits refuse most of what it sends.
            s["Tollgate:Keys:3:Id"] = "key-fuzz-tight";
            s["Tollgate:Keys:3:Owner"] = "team-fuzz";
            s["Tollgate:Keys:3:Key"] = TightKey;
            s["Tollgate:Keys:3:RequestsPerMinute"] = "600";
            s["Tollgate:Keys:3:TokensPerMinute"] = "20000";
            s["Tollgate:Keys:3:Budget:Amount"] = "0.01";
            s["Tollgate:Keys:3:Budget:Tokens"] = "50000";
            s["Tollgate:Quota:OwnerBudgets:team-fuzz:Amount"] = "0.02";
        });

        var bodies = new ChatBodyFuzzer(seed);
        var next = 0;
        var failures = new ConcurrentQueue<string>();
        var statuses = new ConcurrentDictionary<int, int>();
        var gate = new Lock();

        async Task WorkAsync()
        {
            while (true)
            {
                byte[] body;
                int index;
                lock (gate)
                {
                    if (next >= Bodies || failures.Count >= 5)
                    {
                        return;
                    }
                    index = next++;
                    body = bodies.Next();
                }
                using var request = new HttpRequestMessage(HttpMethod.Post, index % 2 == 0 ? "v1/chat/completions" : "api/v1/chat/completions")
                {
                    Content = new ByteArrayContent(body),
                };
                request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", index % 5 == 0 ? TightKey : GatewayHost.Key);
                HttpResponseMessage response;
                string text;
                try
                {
                    response = await host.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, Ct);
                    text = await response.Content.ReadAsStringAsync(Ct);
                }
                catch (HttpRequestException e)
                {
                    // The gateway closed or reset the connection instead of answering.
                    failures.Enqueue($"#{index}: {e.Message} {e.InnerException?.Message} for {ChatBodyFuzzer.Describe(body)}");
                    continue;
                }
                using var _ = response;
                var status = (int)response.StatusCode;
                statuses.AddOrUpdate(status, 1, (_, n) => n + 1);
                if (status >= 500 || !response.Headers.Contains("x-request-id"))
                {
                    failures.Enqueue($"#{index}: {status} {text[..Math.Min(text.Length, 300)]} for {ChatBodyFuzzer.Describe(body)}");
                }
            }
        }

        await Task.WhenAll(Enumerable.Range(0, Workers).Select(_ => Task.Run(WorkAsync, Ct)));
        output.WriteLine("Statuses: " + string.Join(", ", statuses.OrderBy(s => s.Key).Select(s => $"{s.Key}×{s.Value}")));
        Assert.True(failures.IsEmpty, $"Seed {seed}: " + string.Join("\n", failures));

        // Every status a client can cause, nothing else: the fuzz reached past validation too.
        Assert.Contains(200, statuses.Keys);
        Assert.Contains(400, statuses.Keys);

        // No body was taken for a gateway fault, and the host still serves.
        var faults = host.Logs.Lines.Where(l => l.EventId.Id == 1900 || l.Level >= LogLevel.Error).Select(l => $"{l.EventId.Id} {l.Message}").Take(5).ToList();
        Assert.True(faults.Count == 0, $"Seed {seed}: " + string.Join("\n", faults));
        using var health = await host.Http.GetAsync("healthz", Ct);
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        var answer = await host.ChatClient("gpt-test").CompleteChatAsync([new OpenAI.Chat.UserChatMessage("still there?")], cancellationToken: Ct);
        Assert.NotEmpty(answer.Value.Content);
    }
}
