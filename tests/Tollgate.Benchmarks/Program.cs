using BenchmarkDotNet.Running;
using Tollgate.Benchmarks;

// dotnet run -c Release --project tests/Tollgate.Benchmarks -- micro [BenchmarkDotNet args]
// dotnet run -c Release --project tests/Tollgate.Benchmarks -- load --repo <root> [--seconds 8] [--rounds 3] [--quick]
// dotnet run -c Release --project tests/Tollgate.Benchmarks -- passthrough --urls <url> --upstream <url> (started by load)
if (args.Length > 0 && args[0] == "load")
{
    return await LoadHarness.RunAsync(args[1..]);
}
if (args.Length > 0 && args[0] == "passthrough")
{
    return await BarePassThrough.RunAsync(args[1..]);
}
var rest = args.Length > 0 && args[0] == "micro" ? args[1..] : args;
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(rest, new MicroConfig());
return 0;
