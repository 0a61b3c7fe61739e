using Polly;

namespace Tollgate.Routing;

/// <summary>
/// One call through a deployment's circuit breaker (<see cref="DeploymentHealth.Begin"/>): it holds the pooled Polly
/// context of the call until it is disposed. The request path keeps it in its own state machine, so a call adds no
/// asynchronous wrapper of its own.
/// </summary>
public readonly struct DeploymentCall : IDisposable
{
    private readonly ResiliencePipeline<HttpResponseMessage> _pipeline;
    private readonly ResilienceContext _context;

    internal DeploymentCall(ResiliencePipeline<HttpResponseMessage> pipeline, ResilienceContext context)
    {
        _pipeline = pipeline;
        _context = context;
    }

    /// <summary>Sends through the circuit breaker. Throws <see cref="Polly.CircuitBreaker.BrokenCircuitException"/> when the circuit does not let it through.</summary>
    public ValueTask<HttpResponseMessage> SendAsync(Func<HttpRequestMessage, CancellationToken, Task<HttpResponseMessage>> send, HttpRequestMessage message) =>
        _pipeline.ExecuteAsync(static (context, state) => new ValueTask<HttpResponseMessage>(state.send(state.message, context.CancellationToken)),
            _context, (send, message));

    /// <summary>Gives the context back to the pool: once, after the send has completed.</summary>
    public void Dispose()
    {
        if (_context is not null)
        {
            ResilienceContextPool.Shared.Return(_context);
        }
    }
}
