using Catalog.Agreements;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Platform.Api.Problems;

/// <summary>
/// The one rule for a tenant without a service agreement: its retention is unknown, so nothing of it is ingested.
/// It may register datasets and upload (files wait, staged); asking for ingestion (a run, events) is 409, and
/// streamed files wait until the agreement is registered.
/// </summary>
public static class AgreementProblems
{
    public static async Task<ProblemHttpResult?> MissingAsync(AgreementCatalog agreements, string tenant, CancellationToken ct) =>
        await agreements.GetAsync(tenant, ct) is null ? Missing(tenant) : null;

    public static ProblemHttpResult Missing(string tenant) =>
        Problem.Conflict($"Tenant '{tenant}' has no service agreement, so retention is unknown and nothing is ingested: PUT /tenants/{tenant}/agreement first (files uploaded meanwhile wait, staged).");
}
