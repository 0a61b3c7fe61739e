using Tollgate.Server;

TollgateServer.UseInlineSocketCompletions();
TollgateServer.Create(args).Run();
