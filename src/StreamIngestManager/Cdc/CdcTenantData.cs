using Catalog.Connections;
using Catalog.Tenants;
using Npgsql;

namespace StreamIngestManager.Cdc;

/// <summary>
/// A deleted tenant's change data capture: its connections are forgotten first (so that no capture of it can start
/// again), then the replication slots and publications its datasets made are dropped in its databases (a slot being
/// read is released first), then their records. A database that cannot be reached is logged with the slot to drop by hand.
/// </summary>
public sealed class CdcTenantData(ConnectionCatalog connections, CdcSourceCatalog sources, ILogger<CdcTenantData> logger) : ITenantData
{
    public async Task DeleteTenantAsync(string tenant, CancellationToken ct)
    {
        var known = (await connections.ListAsync(tenant, ct)).ToDictionary(c => c.Name);
        foreach (var name in known.Keys)
        {
            await connections.DeleteAsync(tenant, name, ct);
        }

        foreach (var state in await sources.ListAsync(tenant, ct))
        {
            if (known.TryGetValue(state.Connection, out var connection))
            {
                await DropAsync(connections, connection, state, logger, ct);
            }

            await sources.DeleteAsync(tenant, state.Dataset, ct);
        }
    }

    /// <summary>Drops a capture's slot (ending the session that reads it, if any) and publication; false when the database cannot be reached.</summary>
    internal static async Task<bool> DropAsync(ConnectionCatalog connections, SourceConnection connection, CdcSourceState state, ILogger logger, CancellationToken ct)
    {
        try
        {
            await using var sql = new NpgsqlConnection(PostgresSource.ConnectionString(connection, connections.PasswordOf(connection)));
            await sql.OpenAsync(ct);
            foreach (var statement in new[]
                     {
                         "SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = $1 AND active",
                         "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1",
                     })
            {
                await using var command = new NpgsqlCommand(statement, sql);
                command.Parameters.Add(new() { Value = state.Slot });
                await command.ExecuteNonQueryAsync(ct);
            }

            await using (var publication = new NpgsqlCommand($"DROP PUBLICATION IF EXISTS {PostgresSource.Quote(state.Publication)}", sql))
            {
                await publication.ExecuteNonQueryAsync(ct);
            }

            logger.LogInformation("Dropped replication slot and publication {Slot} of {TenantId}/{Dataset}: it no longer captures {SourceTable}",
                state.Slot, state.Tenant, state.Dataset, state.SourceTable);
            return true;
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            logger.LogWarning("Could not drop replication slot {Slot} of {TenantId}/{Dataset} in database {Database} at {Host}: {Error}",
                state.Slot, state.Tenant, state.Dataset, connection.Database, connection.Host, e.Message);
            return false;
        }
    }
}
