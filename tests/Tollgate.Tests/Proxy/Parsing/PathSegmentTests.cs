using Tollgate.Proxy.Parsing;

namespace Tollgate.Tests.Proxy.Parsing;

public sealed class PathSegmentTests
{
    [Fact]
    public void Format_JoinsNamesWithDotsAndIndexesWithBrackets()
    {
        PathSegment[] path = [PathSegment.Property("messages"), PathSegment.Element(3), PathSegment.Property("tool_calls"), PathSegment.Element(0)];
        Assert.Equal("messages[3].tool_calls[0].function", PathSegment.Format(path, "function"));
        Assert.Equal("messages[3].tool_calls[0]", PathSegment.Format(path, null));
    }

    [Fact]
    public void Format_StartsAfterTheLastCut()
    {
        PathSegment[] path = [PathSegment.Property("tools"), PathSegment.Element(1), PathSegment.Cut];
        Assert.Equal("b", PathSegment.Format(path, "b"));
    }

    [Fact]
    public void Format_AtTheRoot_IsTheLeaf()
    {
        Assert.Equal("model", PathSegment.Format([], "model"));
    }
}
