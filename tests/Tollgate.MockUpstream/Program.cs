using Tollgate.MockUpstream;

// Usage: dotnet run --project tests/Tollgate.MockUpstream -- --urls http://127.0.0.1:8081 [--Mock:Chunks 20] [--Mock:DelayMs 5]
var app = MockUpstreamApp.Create(args);
if (string.IsNullOrEmpty(app.Configuration["urls"]))
{
    app.Urls.Add("http://127.0.0.1:8081");
}
app.Run();
