// Two folders that depend on each other only in ways a reader of signatures alone would miss: a local in an async
// method's state machine, a closure, a generic argument, a typeof in an attribute. FolderDependencyTests reads them
// to show the check finds every kind of reference, and so can fail.
namespace Tollgate.Tests.Dependencies.Sample.Left
{
    internal sealed class LeftThing
    {
        public static async Task<int> CountAsync()
        {
            await Task.Yield();
            var right = new Right.RightThing();
            return right.GetHashCode();
        }
    }
}

namespace Tollgate.Tests.Dependencies.Sample.Right
{
    internal sealed class RightThing
    {
        public static Func<int> Later() => () => new List<Middle.MiddleThing>().Count;
    }
}

namespace Tollgate.Tests.Dependencies.Sample.Middle
{
    [System.ComponentModel.TypeConverter(typeof(Left.LeftThing))]
    internal sealed class MiddleThing;
}

namespace Tollgate.Tests.Dependencies.Sample.Alone
{
    internal sealed class AloneThing
    {
        public static int Size() => new Middle.MiddleThing().GetHashCode();
    }
}
