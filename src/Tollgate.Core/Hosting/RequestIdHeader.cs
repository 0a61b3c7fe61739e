using Microsoft.AspNetCore.Http;
using Tollgate.Proxy;

namespace Tollgate.Hosting;

/// <summary>
/// <c>x-request-id</c> on every response Tollgate writes. Both hosts set it before a handler runs (the standalone host
/// around every mapped endpoint, its 405s and its 404; the Functions app in its <c>HandlerResult</c>), and
/// <see cref="Errors.ApiErrorWriter"/> sets it if nothing did. A handler that records the id (the chat completions
/// usage record) takes the one already on the response with <see cref="Ensure"/>, so the header and the record agree.
/// </summary>
public static class RequestIdHeader
{
    public const string Name = "x-request-id";

    /// <summary>The response's request id: the one already set, or a new one (<see cref="RequestId.New"/>), set now.</summary>
    public static string Ensure(HttpResponse response)
    {
        var headers = response.Headers;
        if (headers.TryGetValue(Name, out var existing) && existing.Count == 1 && existing[0] is { Length: > 0 } id)
        {
            return id;
        }
        id = RequestId.New();
        if (!response.HasStarted)
        {
            headers[Name] = id;
        }
        return id;
    }

    /// <summary><paramref name="handler"/>, with the response's request id set before it runs.</summary>
    public static RequestDelegate Around(RequestDelegate handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        return new Wrapped(handler).InvokeAsync;
    }

    /// <summary>The handler <see cref="Around"/> wrapped, or <paramref name="handler"/> itself: what an endpoint really runs.</summary>
    public static RequestDelegate Unwrap(RequestDelegate handler) => handler.Target is Wrapped wrapped ? wrapped.Handler : handler;

    private sealed class Wrapped(RequestDelegate handler)
    {
        public RequestDelegate Handler { get; } = handler;

        public Task InvokeAsync(HttpContext context)
        {
            Ensure(context.Response);
            return Handler(context);
        }
    }
}
