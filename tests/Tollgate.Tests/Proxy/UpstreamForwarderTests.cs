using System.Buffers;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Tollgate.Hosting;
using Tollgate.Json;
using Tollgate.Proxy;
using Tollgate.Routing;
using Tollgate.Usage;

namespace Tollgate.Tests.Proxy;

/// <summary>The forwarder on its own, as the handler calls it once the request is routed and rewritten.</summary>
public sealed class UpstreamForwarderTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ConnectionRefused_AnswersUnreachable_AndTheExchangeKeepsWhy()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            // Nothing listens on port 1: connecting is refused at once.
            ["Tollgate:Upstreams:dead:BaseUrl"] = "http://127.0.0.1:1",
            ["Tollgate:Upstreams:dead:Secret"] = "sk-dead",
            ["Tollgate:Upstreams:dead:Models:m"] = "m",
            ["Tollgate:Billing:AllowUnpriced"] = "true",
        }).Build();
        await using var services = new ServiceCollection().AddLogging().AddTollgate(configuration).BuildServiceProvider();
        var router = services.GetRequiredService<ModelRouter>();
        var json = """{"model":"m","messages":[{"role":"user","content":"hi"}]}"""u8.ToArray();
        Assert.Null(ChatRequestParser.TryParse(json, router.AdaptedFields, out var chat));
        Assert.True(router.TryGetRoute("m", out var route));
        var context = new DefaultHttpContext();
        context.Response.Body = new MemoryStream();
        var exchange = new ProxyExchange(context, new UsageRecord { RequestId = "req_refused", StartedAt = DateTimeOffset.UtcNow }, 0) { Request = chat, Route = route };
        using var body = new PooledBufferWriter();
        body.Write(json);
        using var upstreamBody = new PooledBufferWriter();
        upstreamBody.Write(json);

        await services.GetRequiredService<UpstreamForwarder>().ForwardAsync(exchange, body, upstreamBody, Ct);
        exchange.Deadline.Dispose();
        exchange.Tap.Dispose();

        Assert.Equal(ProxyError.UpstreamUnreachable, exchange.Error);
        var refused = Assert.IsType<HttpRequestException>(exchange.Exception);
        Assert.Equal(HttpRequestError.ConnectionError, refused.HttpRequestError);
        // Counted as an attempt that never reached the upstream; the client learns only that it could not be reached.
        Assert.Equal((1, false), (exchange.Record.Attempts, exchange.SentUpstream));
        Assert.Equal((StatusCodes.Status502BadGateway, "upstream_unreachable"), (context.Response.StatusCode, exchange.Record.ErrorCode));
        var answer = Encoding.UTF8.GetString(((MemoryStream)context.Response.Body).ToArray());
        Assert.Contains("upstream_unreachable", answer, StringComparison.Ordinal);
        Assert.DoesNotContain(refused.Message, answer, StringComparison.Ordinal);
    }
}
