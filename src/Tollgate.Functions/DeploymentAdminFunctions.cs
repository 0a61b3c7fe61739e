using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Tollgate.Admin;

namespace Tollgate.Functions;

/// <summary>The admin listing of upstream deployments and their health. One call into Core.</summary>
public sealed class DeploymentAdminFunctions(DeploymentAdminHandlers handler)
{
    [Function("ListDeployments")]
    public IActionResult ListDeployments([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "manage/deployments")] HttpRequest request) =>
        new HandlerResult(handler.ListAsync);
}
