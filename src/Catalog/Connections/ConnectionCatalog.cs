using Coredms;

namespace Catalog.Connections;

/// <summary>A tenant's database connection as registered; the password is sealed (<see cref="SecretBox"/>) and never leaves the platform.</summary>
public sealed record SourceConnection(string Tenant, string Name, string Type, string Host, int Port, string Database, string User, string SealedPassword,
    DateTimeOffset UpdatedAt);

/// <summary>The databases tenants let the platform read (change data capture), by tenant and name.</summary>
/// <remarks>A tenant's connections are deleted with it by the stream side, which first drops what captures made in their databases.</remarks>
public sealed class ConnectionCatalog(ICoredms coredms, SecretBox secrets, DataClock clock)
{
    private readonly CatalogTable<SourceConnection> _table = new(coredms, PlatformTables.Connections, c => new()
    {
        ["tenant"] = c.Tenant, ["name"] = c.Name, ["type"] = c.Type, ["host"] = c.Host, ["port"] = c.Port, ["database_name"] = c.Database,
        ["user_name"] = c.User, ["password"] = c.SealedPassword, ["updated_at"] = c.UpdatedAt,
    }, r => new SourceConnection(r.Text("tenant"), r.Text("name"), r.Text("type"), r.Text("host"), r.Get<int>("port"), r.Text("database_name"),
        r.Text("user_name"), r.Text("password"), r.Get<DateTimeOffset>("updated_at")));

    /// <summary>A connection with its password sealed, ready to save (and to check before it is saved).</summary>
    public SourceConnection Seal(string tenant, string name, string type, string host, int port, string database, string user, string password) =>
        new(tenant, name, type, host, port, database, user, secrets.Seal(password, Owner(tenant, name)), clock.GetUtcNow());

    /// <summary>The connection's password in clear, for opening it.</summary>
    public string PasswordOf(SourceConnection connection) => secrets.Open(connection.SealedPassword, Owner(connection.Tenant, connection.Name));

    public Task SaveAsync(SourceConnection connection, CancellationToken ct) => _table.SaveAsync(connection, ct);

    public Task<SourceConnection?> GetAsync(string tenant, string name, CancellationToken ct) => _table.GetAsync([tenant, name], ct);

    public async Task<IReadOnlyList<SourceConnection>> ListAsync(string tenant, CancellationToken ct) => await _table.ListAsync([tenant], ct);

    public Task DeleteAsync(string tenant, string name, CancellationToken ct) => _table.DeleteAsync([tenant, name], ct);

    private static string Owner(string tenant, string name) => $"connection:{tenant}/{name}";
}
