using System.Net.Sockets;
using System.Text;

namespace Tollgate.Tests.Harness;

/// <summary>
/// One HTTP/1.1 connection on a plain socket, for what no HTTP client sends: bodies dripped slowly, broken chunked
/// encoding, a body cut short, a reset mid-body.
/// </summary>
public sealed class RawHttpConnection : IAsyncDisposable
{
    private readonly TcpClient _client;
    private readonly NetworkStream _stream;

    private RawHttpConnection(TcpClient client)
    {
        _client = client;
        _stream = client.GetStream();
    }

    public static async Task<RawHttpConnection> ConnectAsync(Uri baseUri, CancellationToken cancellationToken)
    {
        var client = new TcpClient { NoDelay = true };
        await client.ConnectAsync(baseUri.Host, baseUri.Port, cancellationToken);
        return new RawHttpConnection(client);
    }

    /// <summary>The request line and headers of a POST (with <c>Host</c>), ending with the blank line.</summary>
    public static string Head(string path, params string[] headers) =>
        $"POST /{path} HTTP/1.1\r\nHost: localhost\r\n" + string.Concat(headers.Select(h => h + "\r\n")) + "\r\n";

    public Task SendAsync(string text, CancellationToken cancellationToken) => SendAsync(Encoding.UTF8.GetBytes(text), cancellationToken);

    public async Task SendAsync(byte[] bytes, CancellationToken cancellationToken) => await _stream.WriteAsync(bytes, cancellationToken);

    /// <summary>
    /// Sends <paramref name="bytes"/> one byte at a time with <paramref name="pause"/> between them, until all are
    /// sent, the server closes, or <paramref name="cancellationToken"/> fires. Returns how many were sent.
    /// </summary>
    public async Task<int> DripAsync(byte[] bytes, TimeSpan pause, CancellationToken cancellationToken)
    {
        var sent = 0;
        try
        {
            for (; sent < bytes.Length; sent++)
            {
                await _stream.WriteAsync(bytes.AsMemory(sent, 1), cancellationToken);
                await Task.Delay(pause, cancellationToken);
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or SocketException)
        {
            // The server answered and closed, or the caller stopped the drip.
        }
        return sent;
    }

    /// <summary>Ends the request side (FIN): the server sees the body end early; the response can still be read.</summary>
    public void ShutdownSend() => _client.Client.Shutdown(SocketShutdown.Send);

    /// <summary>Closes with a reset (RST), as a crashed client or a dropped network does.</summary>
    public void Reset()
    {
        _client.Client.LingerState = new LingerOption(true, 0);
        _client.Client.Close();
    }

    /// <summary>Reads one response: status, headers (lower-case names) and its Content-Length body (or all until close).</summary>
    public async Task<RawHttpResponse> ReadResponseAsync(CancellationToken cancellationToken)
    {
        var received = new MemoryStream();
        var buffer = new byte[8192];
        int headerEnd;
        while ((headerEnd = IndexOfBlankLine(received)) < 0)
        {
            var read = await _stream.ReadAsync(buffer, cancellationToken);
            if (read == 0)
            {
                throw new IOException($"The connection closed before a whole response head; got: {Encoding.UTF8.GetString(received.ToArray())}");
            }
            received.Write(buffer, 0, read);
        }
        var all = received.ToArray();
        var lines = Encoding.ASCII.GetString(all, 0, headerEnd).Split("\r\n");
        var status = int.Parse(lines[0].Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
        var headers = lines.Skip(1).Select(l => l.Split(':', 2)).ToDictionary(p => p[0].Trim().ToLowerInvariant(), p => p[1].Trim());
        var body = new MemoryStream();
        body.Write(all, headerEnd + 4, all.Length - headerEnd - 4);
        long? length = headers.TryGetValue("content-length", out var value) ? long.Parse(value, System.Globalization.CultureInfo.InvariantCulture) : null;
        while (length is null || body.Length < length)
        {
            var read = await _stream.ReadAsync(buffer, cancellationToken);
            if (read == 0)
            {
                break;
            }
            body.Write(buffer, 0, read);
        }
        return new RawHttpResponse(status, headers, Encoding.UTF8.GetString(body.ToArray()));
    }

    /// <summary>Reads until the server closes (or resets) the connection.</summary>
    public async Task ReadToEndAsync(CancellationToken cancellationToken)
    {
        var buffer = new byte[8192];
        try
        {
            while (await _stream.ReadAsync(buffer, cancellationToken) > 0)
            {
            }
        }
        catch (IOException)
        {
            // Reset: closed all the same.
        }
    }

    private static int IndexOfBlankLine(MemoryStream received) => received.GetBuffer().AsSpan(0, (int)received.Length).IndexOf("\r\n\r\n"u8);

    public ValueTask DisposeAsync()
    {
        _client.Dispose();
        return ValueTask.CompletedTask;
    }
}
