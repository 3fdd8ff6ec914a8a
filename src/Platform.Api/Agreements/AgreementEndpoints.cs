using Catalog.Agreements;
using Microsoft.AspNetCore.Http.HttpResults;
using Platform.Api.Auth;
using Platform.Api.Docs;
using Platform.Api.Problems;

namespace Platform.Api.Agreements;

public sealed record AgreementView(string Client, int RetentionDays, string Schedule, string QuartzSchedule, string? BatchApp, string? StreamApp);

public static class AgreementEndpoints
{
    public static void MapAgreements(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/tenants/{tenant}/agreement").ForTenant().WithTags("Agreements");
        group.MapPut("", Put).WithSummary("Register or replace the service agreement (seed format; every problem is reported at once).")
            .Body<System.Text.Json.Nodes.JsonObject>("application/json").Problems(413, 415);
        group.MapGet("", Get).WithSummary("The service agreement as registered.");
    }

    public static async Task<Results<Ok<AgreementView>, ProblemHttpResult>> Put(HttpRequest request, TenantContext tenant, AgreementCatalog agreements, CancellationToken ct)
    {
        var (json, problem) = await RequestJson.ReadAsync(request, ct);
        if (problem is not null)
        {
            return problem;
        }

        var (document, shapeProblem) = RequestJson.As<ServiceAgreementDocument>(json!.Value, "service agreement");
        if (shapeProblem is not null)
        {
            return shapeProblem;
        }

        var result = new ServiceAgreementValidator(tenant.Id).Validate(document!);
        if (!result.IsValid)
        {
            return Problem.Validation("service agreement", result.Errors);
        }

        await agreements.PutAsync(tenant.Id, json.Value, ct);
        var agreement = ServiceAgreement.From(tenant.Id, json.Value);
        return TypedResults.Ok(new AgreementView(tenant.Id, (int)agreement.Retention.TotalDays, agreement.Schedule.Expression, agreement.Schedule.ToQuartz(),
            agreement.BatchApp?.Name, agreement.StreamApp?.Name));
    }

    public static async Task<Results<ContentHttpResult, ProblemHttpResult>> Get(TenantContext tenant, AgreementCatalog agreements, CancellationToken ct) =>
        await agreements.GetAsync(tenant.Id, ct) is { } agreement
            ? TypedResults.Text(agreement.Document.GetRawText(), "application/json")
            : Problem.NotFound($"Tenant '{tenant.Id}' has no service agreement yet: PUT /tenants/{tenant.Id}/agreement.");
}
