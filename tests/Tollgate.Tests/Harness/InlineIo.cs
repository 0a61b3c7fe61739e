using System.Runtime.CompilerServices;
using Tollgate.Server;

namespace Tollgate.Tests.Harness;

internal static class InlineIo
{
    /// <summary>
    /// The standalone host runs socket completions and request code inline on the socket event threads
    /// (Program.cs); the in-process gateways of the tests run the same way, set before any socket is opened.
    /// </summary>
    [ModuleInitializer]
    internal static void Enable() => TollgateServer.UseInlineSocketCompletions();
}
