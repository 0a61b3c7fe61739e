using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Tollgate.Benchmarks;

/// <summary>
/// The yardstick for the load harness: the least a .NET reverse proxy can do. Kestrel takes the request, one
/// <see cref="SocketsHttpHandler"/> (the settings Tollgate's upstream client uses) sends it on with its headers, and
/// the answer's bytes are copied back as they arrive. No key, no parse, no metering: what is left between it and
/// Tollgate is what Tollgate's features cost.
/// </summary>
internal static class BarePassThrough
{
    private static readonly HashSet<string> HopByHop = new(StringComparer.OrdinalIgnoreCase)
    {
        "Connection", "Keep-Alive", "Proxy-Connection", "TE", "Trailer", "Transfer-Encoding", "Upgrade", "Host",
    };

    // dotnet Tollgate.Benchmarks.dll passthrough --urls http://127.0.0.1:<port> --upstream http://127.0.0.1:<port>
    public static async Task<int> RunAsync(string[] args)
    {
        var upstreamIndex = Array.IndexOf(args, "--upstream");
        if (upstreamIndex < 0 || upstreamIndex + 1 >= args.Length)
        {
            Console.Error.WriteLine("passthrough needs --upstream <base url>");
            return 2;
        }
        var upstream = new Uri(args[upstreamIndex + 1]);
        var builder = WebApplication.CreateBuilder(args);
        builder.Logging.ClearProviders();
        var app = builder.Build();
        using var invoker = new HttpMessageInvoker(new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseCookies = false,
            UseProxy = false,
            AutomaticDecompression = DecompressionMethods.None,
            ConnectTimeout = TimeSpan.FromSeconds(10),
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1),
            MaxConnectionsPerServer = int.MaxValue,
            ActivityHeadersPropagator = null,
        }, disposeHandler: true);

        app.MapGet("/healthz", () => Results.Text("ok"));
        app.Run(context => ForwardAsync(context, invoker, upstream));
        await app.RunAsync();
        return 0;
    }

    private static async Task ForwardAsync(HttpContext context, HttpMessageInvoker invoker, Uri upstream)
    {
        var request = context.Request;
        using var outgoing = new HttpRequestMessage(new HttpMethod(request.Method), new Uri(upstream, request.Path.Value + request.QueryString.Value))
        {
            Version = HttpVersion.Version11,
        };
        if (request.ContentLength is > 0 || request.Headers.TransferEncoding.Count > 0)
        {
            outgoing.Content = new StreamContent(request.Body);
        }
        foreach (var (name, values) in request.Headers)
        {
            if (HopByHop.Contains(name))
            {
                continue;
            }
            if (!outgoing.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values))
            {
                outgoing.Content?.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values);
            }
        }

        using var answer = await invoker.SendAsync(outgoing, context.RequestAborted);
        var response = context.Response;
        response.StatusCode = (int)answer.StatusCode;
        foreach (var (name, values) in answer.Headers.Concat(answer.Content.Headers))
        {
            if (!HopByHop.Contains(name))
            {
                response.Headers[name] = values.ToArray();
            }
        }
        // Kestrel's response stream flushes every write, so each read from upstream reaches the client at once.
        await using var body = await answer.Content.ReadAsStreamAsync(context.RequestAborted);
        await body.CopyToAsync(response.Body, context.RequestAborted);
    }
}
