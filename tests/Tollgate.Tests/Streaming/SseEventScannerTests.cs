using System.Buffers;
using System.Text;
using Tollgate.Streaming;

namespace Tollgate.Tests.Streaming;

public sealed class SseEventScannerTests
{
    [Theory]
    [InlineData("data: a\n\nrest", 9)]
    [InlineData("data: a\r\n\r\nrest", 11)]
    [InlineData("data: a\r\rrest", 9)]
    [InlineData("data: a\n\r\nrest", 10)]
    [InlineData(": comment\n\n", 11)]
    [InlineData("\n", 1)]
    [InlineData("event: x\ndata: a\ndata: b\n\n", 26)]
    public void FindsTheFirstEventEnd(string input, int expected) =>
        Assert.Equal(expected, SseEventScanner.FindEventEnd(Encoding.UTF8.GetBytes(input), endOfStream: false));

    [Theory]
    [InlineData("data: a")]
    [InlineData("data: a\n")]
    [InlineData("data: a\r\n")]
    [InlineData("data: a\r\n\r")]
    [InlineData("data: a\r")]
    public void IncompleteEvents_WaitForMoreBytes(string input) =>
        Assert.Equal(-1, SseEventScanner.FindEventEnd(Encoding.UTF8.GetBytes(input), endOfStream: false));

    [Fact]
    public void TrailingCr_AtEndOfStream_EndsTheEvent() =>
        Assert.Equal(9, SseEventScanner.FindEventEnd("data: a\r\r"u8, endOfStream: true));

    [Theory]
    [InlineData("data: {\"a\":1}\n\n", "{\"a\":1}")]
    [InlineData("data:{\"a\":1}\n\n", "{\"a\":1}")]
    [InlineData("data:  two spaces\n\n", " two spaces")]
    [InlineData("data: line1\ndata: line2\n\n", "line1\nline2")]
    [InlineData("data: line1\r\ndata:line2\r\n\r\n", "line1\nline2")]
    [InlineData("event: x\nid: 3\ndata: [DONE]\n\n", "[DONE]")]
    [InlineData("data\n\n", "")]
    public void ExtractsData(string rawEvent, string expected)
    {
        ArrayBufferWriter<byte>? scratch = null;
        var data = SseEvent.GetData(Encoding.UTF8.GetBytes(rawEvent), ref scratch, out var hasData);
        Assert.True(hasData);
        Assert.Equal(expected, Encoding.UTF8.GetString(data));
    }

    [Theory]
    [InlineData(": just a comment\n\n")]
    [InlineData("event: ping\n\n")]
    [InlineData("datafield: x\n\n")]
    public void EventsWithoutData_HaveNone(string rawEvent)
    {
        ArrayBufferWriter<byte>? scratch = null;
        SseEvent.GetData(Encoding.UTF8.GetBytes(rawEvent), ref scratch, out var hasData);
        Assert.False(hasData);
    }
}
