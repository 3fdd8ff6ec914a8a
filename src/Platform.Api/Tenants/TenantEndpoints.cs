using System.Text.Json;
using Catalog.Tenants;
using Microsoft.AspNetCore.Http.HttpResults;
using Platform.Api.Auth;
using Platform.Api.Docs;
using Platform.Api.Problems;

namespace Platform.Api.Tenants;

public sealed record TenantCreated(string Id, string ClientSecret);

public sealed record TenantView(string Id, DateTimeOffset CreatedAt);

public sealed record TenantList(IReadOnlyList<TenantView> Tenants);

public static class TenantEndpoints
{
    public static void MapTenants(this IEndpointRouteBuilder app)
    {
        var admin = app.MapGroup("/tenants").RequireAuthorization(AuthServiceCollectionExtensions.AdminPolicy).WithTags("Tenants");
        admin.MapPost("", Create).WithSummary("Create a tenant (admin); the response shows its secret once.")
            .Body<System.Text.Json.Nodes.JsonObject>("application/json").Problems(409, 413, 415);
        admin.MapGet("", List).WithSummary("All tenants (admin).");
        admin.MapPost("/{tenant}/secret", RotateSecret).WithSummary("Replace a tenant's secret (admin); the old one and the tokens issued with it stop working.");
        admin.MapDelete("/{tenant}", Delete)
            .WithSummary("Delete a tenant with its keyspaces, datasets, agreement, files, runs, usage and log (admin); ?confirm= must repeat the tenant id.");
        app.MapGroup("/tenants/{tenant}").ForTenant().WithTags("Tenants").MapGet("", Get);
    }

    public static async Task<Results<Created<TenantCreated>, ProblemHttpResult>> Create(HttpRequest request, TenantCatalog tenants, CancellationToken ct)
    {
        var (json, problem) = await RequestJson.ReadAsync(request, ct);
        if (problem is not null)
        {
            return problem;
        }

        var id = json!.Value.ValueKind == JsonValueKind.Object && json.Value.TryGetProperty("id", out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()!
            : null;
        if (id is null || !TenantCatalog.IdPattern().IsMatch(id))
        {
            return Problem.Validation("tenant", [new FieldError("id", "identifier", $"{(id is null ? "is required" : $"'{id}' is not a tenant id")}: {TenantCatalog.IdRule}")]);
        }

        if (TenantCatalog.ReservedIds.Contains(id))
        {
            return Problem.Validation("tenant", [new FieldError("id", "reserved", $"'{id}' is reserved ({string.Join(", ", TenantCatalog.ReservedIds.Order())} cannot be tenant ids)")]);
        }

        var secret = await tenants.CreateAsync(id, ct);
        return secret is null
            ? Problem.Conflict($"Tenant '{id}' already exists.")
            : TypedResults.Created($"/tenants/{id}", new TenantCreated(id, secret));
    }

    public static async Task<Ok<TenantList>> List(TenantCatalog tenants, CancellationToken ct) =>
        TypedResults.Ok(new TenantList((await tenants.ListAsync(ct)).Select(t => new TenantView(t.Id, t.CreatedAt)).ToList()));

    public static async Task<Results<Ok<TenantView>, ProblemHttpResult>> Get(TenantContext tenant, TenantCatalog tenants, CancellationToken ct) =>
        await tenants.GetAsync(tenant.Id, ct) is { } t ? TypedResults.Ok(new TenantView(t.Id, t.CreatedAt)) : Problem.NotFound($"Tenant '{tenant.Id}' does not exist.");

    public static async Task<Results<NoContent, ProblemHttpResult>> Delete(string tenant, string? confirm, TenantCatalog tenants, TenantDeletion deletion, CancellationToken ct)
    {
        if (confirm != tenant)
        {
            return Problem.Validation("deletion", [new FieldError("confirm", "confirmation",
                $"deleting a tenant removes all its data for good: repeat its id, DELETE /tenants/{tenant}?confirm={tenant}")]);
        }

        if (!TenantCatalog.IdPattern().IsMatch(tenant) || await tenants.GetAsync(tenant, ct) is null)
        {
            return Problem.NotFound($"Tenant '{tenant}' does not exist.");
        }

        var result = await deletion.DeleteAsync(tenant, ct);
        return result.Deleted ? TypedResults.NoContent() : Problem.Conflict(result.Refusal!);
    }

    public static async Task<Results<Ok<TenantCreated>, ProblemHttpResult>> RotateSecret(string tenant, TenantCatalog tenants, CancellationToken ct) =>
        await tenants.RotateSecretAsync(tenant, ct) is { } secret ? TypedResults.Ok(new TenantCreated(tenant, secret)) : Problem.NotFound($"Tenant '{tenant}' does not exist.");
}
