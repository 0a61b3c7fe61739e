using Tollgate.Server;

TollgateServer.Create(args).Run();
