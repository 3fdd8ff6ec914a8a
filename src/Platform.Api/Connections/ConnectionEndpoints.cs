using System.Text.Json;
using System.Text.Json.Serialization;
using Catalog.Connections;
using Catalog.Datasets;
using Microsoft.AspNetCore.Http.HttpResults;
using Platform.Api.Auth;
using Platform.Api.Docs;
using Platform.Api.Problems;
using StreamIngestManager.Cdc;

namespace Platform.Api.Connections;

/// <summary>A connection as the API shows it: never its password, only that one is set.</summary>
public sealed record ConnectionView(string Name, string Type, string Host, int Port, string Database, string User, bool PasswordSet, DateTimeOffset UpdatedAt)
{
    public static ConnectionView From(SourceConnection c) => new(c.Name, c.Type, c.Host, c.Port, c.Database, c.User, c.SealedPassword.Length > 0, c.UpdatedAt);
}

public sealed record ConnectionList(IReadOnlyList<ConnectionView> Connections);

/// <summary>A connection as tenants send it.</summary>
public sealed record ConnectionDocument(
    [property: JsonPropertyName("type")] string? Type,
    [property: JsonPropertyName("host")] string? Host,
    [property: JsonPropertyName("port")] int? Port,
    [property: JsonPropertyName("database")] string? Database,
    [property: JsonPropertyName("user")] string? User,
    [property: JsonPropertyName("password")] string? Password);

/// <summary>
/// Tenants' database connections, for change data capture (<c>source.type</c> <c>postgres_cdc</c>). Registering one
/// opens it and checks the server allows capture; the password is sealed at rest and never returned.
/// </summary>
public static class ConnectionEndpoints
{
    public static void MapConnections(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/tenants/{tenant}/connections").ForTenant().WithTags("Connections");
        group.MapPut("/{name}", Put).WithSummary("Register or replace a PostgreSQL connection (checked: login, wal_level logical, replication); the password is sealed and never shown.")
            .Body<ConnectionDocument>("application/json").Problems(413, 415, 422);
        group.MapGet("/{name}", Get).WithSummary("A connection, without its password (password_set says one is).");
        group.MapGet("", List).WithSummary("The tenant's connections, without their passwords.");
        group.MapGet("/{name}/schema", Propose)
            .WithSummary("A data configuration proposed from a table (?table=schema.table): a field per column, its primary key, the source; edit it and PUT it as a dataset.")
            .Problems(422);
        group.MapDelete("/{name}", Delete).WithSummary("Forget a connection no dataset's source uses.").Problems(409);
    }

    public static async Task<Results<Created<ConnectionView>, Ok<ConnectionView>, ProblemHttpResult>> Put(string name, HttpRequest request, TenantContext tenant,
        ConnectionCatalog connections, SourceChecks checks, CancellationToken ct)
    {
        var (json, problem) = await RequestJson.ReadAsync(request, ct);
        if (problem is not null)
        {
            return problem;
        }

        if (json!.Value.ValueKind != JsonValueKind.Object)
        {
            return Problem.BadRequest("The connection must be a JSON object.");
        }

        ConnectionDocument? document;
        try
        {
            document = json.Value.Deserialize<ConnectionDocument>();
        }
        catch (JsonException e)
        {
            return Problem.Validation("connection", [new FieldError(e.Path?.TrimStart('$', '.') ?? "body", "type", "has the wrong type: " + e.Message)]);
        }

        var errors = new List<FieldError>();
        if (!DataConfigurationValidator.DatasetName().IsMatch(name))
        {
            errors.Add(new FieldError("name", "identifier", $"'{name}' in the URL is not a connection name: {DataConfigurationValidator.DatasetNameRule}"));
        }

        if (document!.Type != "postgres")
        {
            errors.Add(new FieldError("type", "one_of", "must be 'postgres'"));
        }

        Require(errors, "host", document.Host, "the server's host name or address");
        Require(errors, "database", document.Database, "the database to capture from");
        Require(errors, "user", document.User, "a login that may replicate");
        Require(errors, "password", document.Password, "the login's password (sealed at rest, never shown)");
        if (document.Port is < 1 or > 65535)
        {
            errors.Add(new FieldError("port", "range", $"{document.Port} is not a TCP port (1 to 65535)"));
        }

        foreach (var unknown in json.Value.EnumerateObject().Select(p => p.Name).Where(n => n is not ("type" or "host" or "port" or "database" or "user" or "password")))
        {
            errors.Add(new FieldError(unknown, "unknown_property", "is not a connection property (type, host, port, database, user, password)"));
        }

        if (errors.Count > 0)
        {
            return Problem.Validation("connection", errors);
        }

        var connection = connections.Seal(tenant.Id, name, "postgres", document.Host!, document.Port ?? 5432, document.Database!, document.User!, document.Password!);
        if (await checks.CheckConnectionAsync(connection, ct) is { Count: > 0 } problems)
        {
            return Unusable($"The platform cannot capture changes through connection '{name}'.", problems);
        }

        var existed = await connections.GetAsync(tenant.Id, name, ct) is not null;
        await connections.SaveAsync(connection, ct);
        var view = ConnectionView.From(connection);
        return existed ? TypedResults.Ok(view) : TypedResults.Created($"/tenants/{tenant.Id}/connections/{name}", view);
    }

    /// <summary>422 for a source the platform cannot capture from, with each reason under the field it concerns.</summary>
    public static ProblemHttpResult Unusable(string detail, IEnumerable<SourceProblem> problems)
    {
        var errors = problems.Select(p => new FieldError(p.Field, p.Rule, p.Message)).ToList();
        return Problem.Of(StatusCodes.Status422UnprocessableEntity, "source-unusable", "Source unusable", detail + " " + string.Join("; ", errors.Select(e => $"{e.Field}: {e.Message}")),
            new Dictionary<string, object?> { ["errors"] = errors });
    }

    private static void Require(List<FieldError> errors, string field, string? value, string what)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            errors.Add(new FieldError(field, "required", "is required: " + what));
        }
    }

    public static async Task<Results<Ok<ConnectionView>, ProblemHttpResult>> Get(string name, TenantContext tenant, ConnectionCatalog connections, CancellationToken ct) =>
        await connections.GetAsync(tenant.Id, name, ct) is { } connection
            ? TypedResults.Ok(ConnectionView.From(connection))
            : Problem.NotFound($"Tenant '{tenant.Id}' has no connection '{name}'.");

    public static async Task<Results<Ok<System.Text.Json.Nodes.JsonObject>, ProblemHttpResult>> Propose(string name, string? table, TenantContext tenant,
        ConnectionCatalog connections, SourceChecks checks, CancellationToken ct)
    {
        if (await connections.GetAsync(tenant.Id, name, ct) is not { } connection)
        {
            return Problem.NotFound($"Tenant '{tenant.Id}' has no connection '{name}'.");
        }

        if (table is null || !DataConfigurationValidator.SourceTable().IsMatch(table))
        {
            return Problem.Validation("query", [new FieldError("table", "identifier", "is required: the table to propose a dataset for, as 'schema.table' or 'table'")]);
        }

        var (proposal, problems) = await checks.ProposeAsync(connection, new DatasetSource("postgres_cdc", name, table), ct);
        return proposal is not null ? TypedResults.Ok(proposal) : Unusable($"No data configuration can be proposed for {table}.", problems);
    }

    public static async Task<Ok<ConnectionList>> List(TenantContext tenant, ConnectionCatalog connections, CancellationToken ct) =>
        TypedResults.Ok(new ConnectionList((await connections.ListAsync(tenant.Id, ct)).Select(ConnectionView.From).ToList()));

    public static async Task<Results<NoContent, ProblemHttpResult>> Delete(string name, TenantContext tenant, ConnectionCatalog connections, DatasetCatalog datasets,
        CancellationToken ct)
    {
        if (await connections.GetAsync(tenant.Id, name, ct) is null)
        {
            return Problem.NotFound($"Tenant '{tenant.Id}' has no connection '{name}'.");
        }

        if ((await datasets.ListAsync(tenant.Id, ct)).Where(d => d.Source?.Connection == name).Select(d => d.Name).ToList() is { Count: > 0 } users)
        {
            return Problem.Conflict($"Connection '{name}' is the source of dataset(s) {string.Join(", ", users)}: remove their source first.");
        }

        await connections.DeleteAsync(tenant.Id, name, ct);
        return TypedResults.NoContent();
    }
}
