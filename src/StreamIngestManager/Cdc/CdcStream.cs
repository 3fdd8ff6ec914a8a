using System.Data;
using System.Text;
using Catalog.Agreements;
using Catalog.Connections;
using Catalog.Datasets;
using Coredms;
using Ingestion.Pipeline;
using IngestionLog;
using Npgsql;
using Npgsql.Replication;
using Npgsql.Replication.PgOutput;
using Npgsql.Replication.PgOutput.Messages;

namespace StreamIngestManager.Cdc;

/// <summary>
/// Captures one dataset's source table until cancelled. The first time, it creates a publication for the table and a
/// pgoutput replication slot that exports a snapshot; it copies the table as of that snapshot, then streams the
/// changes from the slot's consistent point, so that the copy and the stream meet without a gap or an overlap.
/// Inserts and updates are upserts by primary key, deletes delete the key. A transaction's changes are written to
/// coredms (the last change of each key) before its end LSN is acknowledged to PostgreSQL: after a crash the slot
/// offers again what was not acknowledged, and writing it again changes nothing (upserts and deletes by key are
/// idempotent). A snapshot cut short is taken again from a new slot. A change of the table's columns that the
/// dataset cannot follow pauses the dataset with the reason.
/// </summary>
internal sealed class CdcStream(Dataset dataset, ConnectionCatalog connections, CdcSourceCatalog sources, DatasetCatalog datasets, AgreementCatalog agreements,
    FileIngestion ingestion, ICoredms coredms, Ingestion.Lake.LakeStreams lake, DataClock clock, ILogger<CdcStream> logger)
{
    /// <summary>Changes written at once within a long transaction (not acknowledged until it ends).</summary>
    public const int ChunkRows = 5000;

    private readonly DatasetSource _source = dataset.Source!;
    private readonly HashSet<string> _fieldNames = dataset.Schema.Fields.Select(f => f.Name).ToHashSet(StringComparer.Ordinal);

    /// <summary>The column names of the last accepted columns (<see cref="CdcSourceState.Columns"/>), kept until they change.</summary>
    private (string Columns, HashSet<string> Names) _accepted = ("", []);
    private readonly Dictionary<string, Change> _changes = new(StringComparer.Ordinal);
    private TimeSpan? _ttl;

    private sealed record Change(string? Line, string?[] Key);

    public async Task RunAsync(CancellationToken ct)
    {
        var wait = TimeSpan.FromSeconds(1);
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await CaptureAsync(ct);
                return;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (Lasting(e) is { } reason)
            {
                // Trying again would not help: the dataset is paused with the reason, for the tenant to see and resume.
                logger.IngestionEvent(IngestionEvents.SourceFailed, "{EventAction}: {TenantId}/{Dataset} paused: {ErrorMessage}", dataset.Tenant, dataset.Name, reason);
                await datasets.SetPauseAsync(dataset.Tenant, dataset.Name, new DatasetPause(clock.GetUtcNow(), reason), CancellationToken.None);
                return;
            }
            catch (Exception e)
            {
                logger.LogWarning("Capture of {TenantId}/{Dataset} from {SourceTable} stopped ({Error}); trying again in {Seconds} s",
                    dataset.Tenant, dataset.Name, _source.Table, e.Message, wait.TotalSeconds);
            }

            try
            {
                await Task.Delay(wait, ct);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            wait = TimeSpan.FromSeconds(Math.Min(30, wait.TotalSeconds * 2));
        }
    }

    /// <summary>
    /// Why capture cannot go on until someone acts, for failures that do not pass by themselves (the table or the
    /// connection gone, the login refused, a right missing); null for those worth trying again (the server restarting,
    /// the network).
    /// </summary>
    private static string? Lasting(Exception e) => e switch
    {
        LastingFailure lasting => "capture stopped: " + lasting.Message,
        PostgresException { SqlState: "28P01" or "28000" or "3D000" or "42501" or "42P01" } pg => $"capture stopped: PostgreSQL said {pg.MessageText} ({pg.SqlState})",
        _ => null,
    };

    /// <summary>A failure that will not pass by itself: what capture needs is gone, or a change cannot be read.</summary>
    private sealed class LastingFailure(string message) : Exception(message);

    /// <summary>The slot's and publication's name in the tenant's database: the platform's, the tenant's and the dataset's.</summary>
    public static string SlotName(string tenant, string dataset) =>
        $"mysimbdp_{tenant}_{Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(dataset)))[..8]}";

    private async Task CaptureAsync(CancellationToken ct)
    {
        var connection = await connections.GetAsync(dataset.Tenant, _source.Connection, ct)
            ?? throw new LastingFailure($"connection '{_source.Connection}' is not registered");
        var connectionString = PostgresSource.ConnectionString(connection, connections.PasswordOf(connection), "mysimbdp-cdc");
        _ttl = (await agreements.GetAsync(dataset.Tenant, ct))?.Retention;
        var name = SlotName(dataset.Tenant, dataset.Name);
        var state = await sources.GetAsync(dataset.Tenant, dataset.Name, ct);
        if (state is not null && (state.Connection != _source.Connection || state.SourceTable != _source.Table))
        {
            state = null; // The source changed: what the old one made is dropped below and made again.
        }

        await using var sql = new NpgsqlConnection(connectionString);
        await sql.OpenAsync(ct);
        var columns = await PostgresSource.ColumnsAsync(sql, _source, ct) ?? throw new LastingFailure($"table {_source.Table} does not exist");

        // Started again (after a failure, a restart, or a copy cut short): the table's columns are held to the same rules
        // as a change seen while streaming, so that a change made meanwhile is not taken in silently by a new copy.
        if (state is not null)
        {
            if (await FollowAsync(state, columns, ct) is not { } followed)
            {
                return;
            }

            state = followed;
        }
        if (state is null || !state.SnapshotDone)
        {
            await ExecuteAsync(sql, $"DROP PUBLICATION IF EXISTS {PostgresSource.Quote(name)}", ct);
            await ExecuteAsync(sql, $"CREATE PUBLICATION {PostgresSource.Quote(name)} FOR TABLE {PostgresSource.Qualified(_source)}", ct);
            await ExecuteAsync(sql, $"SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = '{name}'", ct);
        }

        await using var replication = new LogicalReplicationConnection(connectionString);
        await replication.Open(ct);
        if (state is null || !state.SnapshotDone)
        {
            // A copy that began before and did not finish may have written rows the table no longer has: this one removes them.
            var retake = state is { SnapshotDone: false };
            var slot = await replication.CreatePgOutputReplicationSlot(name, slotSnapshotInitMode: LogicalSlotSnapshotInitMode.Export, cancellationToken: ct);
            await sources.SaveAsync(new CdcSourceState(dataset.Tenant, dataset.Name, _source.Connection, _source.Table, name, name, PostgresSource.Describe(columns),
                false, clock.GetUtcNow()), ct);
            var rows = await SnapshotAsync(connectionString, slot.SnapshotName!, columns, retake, ct);
            state = new CdcSourceState(dataset.Tenant, dataset.Name, _source.Connection, _source.Table, name, name, PostgresSource.Describe(columns), true, clock.GetUtcNow());
            await sources.SaveAsync(state, ct);
            logger.IngestionEvent(IngestionEvents.RowsLoaded, "{EventAction}: {TenantId}/{Dataset}: snapshot of {SourceTable}: {RowsLoaded} rows; streaming its changes from {Lsn}",
                dataset.Tenant, dataset.Name, _source.Table, rows, slot.ConsistentPoint.ToString());
        }

        await StreamAsync(replication, sql, state, ct);
    }

    /// <summary>
    /// Copies the table as of the slot's exported snapshot, in chunks; the number of rows. Taking a copy again after one
    /// cut short, it then removes from coredms the rows whose keys the snapshot does not have.
    /// </summary>
    private async Task<long> SnapshotAsync(string connectionString, string snapshot, IReadOnlyList<SourceColumn> columns, bool retake, CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, ct);
        await ExecuteAsync(connection, $"SET TRANSACTION SNAPSHOT '{snapshot}'", ct);
        var captured = Captured(columns);
        await using var command = new NpgsqlCommand(
            $"SELECT {string.Join(", ", captured.Select(c => PostgresSource.Quote(c.Name) + "::text"))} FROM {PostgresSource.Qualified(_source)}", connection);
        await using var reader = await command.ExecuteReaderAsync(ct);
        long rows = 0;
        var values = new (string, string, string?)[captured.Count];
        while (await reader.ReadAsync(ct))
        {
            for (var i = 0; i < captured.Count; i++)
            {
                values[i] = (captured[i].Name, captured[i].Type, reader.IsDBNull(i) ? null : reader.GetString(i));
            }

            Upsert(values);
            if (++rows % ChunkRows == 0)
            {
                await ApplyAsync($"snapshot-{snapshot}-{rows}", ct);
            }
        }

        await ApplyAsync($"snapshot-{snapshot}-{rows}", ct);
        await reader.DisposeAsync();
        if (retake)
        {
            await RemoveVanishedAsync(connection, columns, ct);
        }

        return rows;
    }

    /// <summary>
    /// Deletes from coredms the rows whose keys the table does not have in the snapshot <paramref name="connection"/>
    /// reads: coredms's keys a page at a time, looked up in the table by its primary key index.
    /// </summary>
    private async Task RemoveVanishedAsync(NpgsqlConnection connection, IReadOnlyList<SourceColumn> columns, CancellationToken ct)
    {
        var keys = dataset.PrimaryKey.Select(k => columns.First(c => c.Name == k)).ToList();
        if (keys.Any(k => k.Type is not ("int2" or "int4" or "int8" or "text" or "varchar" or "bpchar" or "uuid")))
        {
            logger.LogWarning("{TenantId}/{Dataset}: the copy of {SourceTable} was taken again; rows its table lost meanwhile are not looked for (key types {Types})",
                dataset.Tenant, dataset.Name, _source.Table, string.Join(", ", keys.Select(k => k.Type)));
            return;
        }

        var positions = dataset.PrimaryKey.Select(k => dataset.Table.IndexOf(k)).ToArray();
        var unnest = string.Join(", ", keys.Select((_, i) => $"${i + 1}::text[]"));
        var names = string.Join(", ", keys.Select((_, i) => "k" + i));
        var match = string.Join(" AND ", keys.Select((k, i) => $"t.{PostgresSource.Quote(k.Name)} = u.k{i}::{k.Type}"));
        var sql = $"SELECT u.n FROM unnest({unnest}, ${keys.Count + 1}::int[]) AS u({names}, n) WHERE NOT EXISTS (SELECT 1 FROM {PostgresSource.Qualified(_source)} t WHERE {match})";
        var vanished = new List<object?[]>();
        string? paging = null;
        do
        {
            var page = await coredms.SelectAsync(dataset.Table, SelectQuery.All(1000, paging), ct);
            await using var command = new NpgsqlCommand(sql, connection);
            for (var i = 0; i < keys.Count; i++)
            {
                command.Parameters.Add(new NpgsqlParameter { Value = page.Rows.Select(r => Convert.ToString(r[positions[i]], System.Globalization.CultureInfo.InvariantCulture)).ToArray() });
            }

            command.Parameters.Add(new NpgsqlParameter { Value = Enumerable.Range(0, page.Rows.Count).ToArray() });
            await using (var missing = await command.ExecuteReaderAsync(ct))
            {
                while (await missing.ReadAsync(ct))
                {
                    var row = page.Rows[missing.GetInt32(0)];
                    vanished.Add(positions.Select(p => row[p]).ToArray());
                }
            }

            paging = page.PagingState;
        }
        while (paging is not null);

        foreach (var key in vanished)
        {
            await coredms.DeleteAsync(dataset.Table, key, ct);
        }

        logger.LogInformation("{TenantId}/{Dataset}: the copy of {SourceTable} was taken again after one cut short; {Rows} rows the table no longer has were removed",
            dataset.Tenant, dataset.Name, _source.Table, vanished.Count);
    }

    private async Task StreamAsync(LogicalReplicationConnection replication, NpgsqlConnection sql, CdcSourceState state, CancellationToken ct)
    {
        var options = new PgOutputReplicationOptions(state.Publication, PgOutputProtocolVersion.V1);
        var columns = await PostgresSource.ColumnsAsync(sql, _source, ct) ?? throw new LastingFailure($"table {_source.Table} does not exist");
        await foreach (var message in replication.StartReplication(new PgOutputReplicationSlot(state.Slot), options, ct))
        {
            switch (message)
            {
                case RelationMessage:
                    columns = await PostgresSource.ColumnsAsync(sql, _source, ct) ?? throw new LastingFailure($"table {_source.Table} was dropped");
                    if (await FollowAsync(state, columns, ct) is not { } followed)
                    {
                        return; // Paused: nothing of this transaction was confirmed, so the slot offers it again on resume.
                    }

                    state = followed;
                    break;
                case InsertMessage or UpdateMessage:
                    var tuple = message is InsertMessage insert ? insert.NewRow : ((UpdateMessage)message).NewRow;
                    var (values, unknown) = await ReadAsync(tuple, columns, sql, state, ct);
                    if (unknown)
                    {
                        // A column the capture has not accepted, without a relation message before it: the same rules apply.
                        columns = await PostgresSource.ColumnsAsync(sql, _source, ct) ?? throw new LastingFailure($"table {_source.Table} was dropped");
                        if (await FollowAsync(state, columns, ct) is not { } accepted)
                        {
                            return;
                        }

                        state = accepted;
                    }

                    Upsert(values);
                    break;
                case KeyDeleteMessage delete:
                    Delete((await ReadAsync(delete.Key, columns, null, state, ct)).Values);
                    break;
                case FullDeleteMessage delete:
                    Delete((await ReadAsync(delete.OldRow, columns, null, state, ct)).Values);
                    break;
                case CommitMessage commit:
                    await ApplyAsync("cdc-" + commit.TransactionEndLsn, ct);
                    replication.SetReplicationStatus(commit.TransactionEndLsn);
                    await replication.SendStatusUpdate(ct);
                    break;
            }

            if (_changes.Count >= ChunkRows)
            {
                await ApplyAsync("cdc-" + message.WalStart, ct);
            }
        }
    }

    /// <summary>
    /// The table's columns changed: a new column is taken when the dataset's schema has it as optional; anything else
    /// (a column dropped, retyped, or new and unknown to the schema) pauses the dataset with the reason, and gives null.
    /// </summary>
    private async Task<CdcSourceState?> FollowAsync(CdcSourceState state, List<SourceColumn> columns, CancellationToken ct)
    {
        var now = PostgresSource.Describe(columns);
        if (now == state.Columns)
        {
            return state;
        }

        logger.LogInformation("Capture of {TenantId}/{Dataset}: table {SourceTable} changed from ({Before}) to ({After})", dataset.Tenant, dataset.Name, _source.Table,
            state.Columns, now);

        var before = state.Columns.Split(',').ToHashSet(StringComparer.Ordinal);
        var after = now.Split(',').ToHashSet(StringComparer.Ordinal);
        var fields = dataset.Schema.Fields.ToDictionary(f => f.Name, StringComparer.Ordinal);
        var reasons = before.Except(after).Select(c => $"column '{c}' was dropped or changed type")
            .Concat(after.Except(before).Select(c => c.Split(' ')[0]).Where(c => !fields.TryGetValue(c, out var f) || !(Catalog.Datasets.AvroColumns.IsNullable(f.Schema) || f.Default is not null))
                .Select(c => $"new column '{c}' is not an optional field of the dataset's schema"))
            .Concat(PostgresSource.CheckColumns(dataset, columns).Select(p => p.Message))
            .Distinct().ToList();
        if (reasons.Count == 0)
        {
            state = state with { Columns = now, UpdatedAt = clock.GetUtcNow() };
            await sources.SaveAsync(state, ct);
            logger.LogInformation("Capture of {TenantId}/{Dataset}: table {SourceTable} gained columns the schema has; they are taken", dataset.Tenant, dataset.Name, _source.Table);
            return state;
        }

        var reason = $"source table {_source.Table} changed: {string.Join("; ", reasons)}";
        logger.IngestionEvent(IngestionEvents.SourceFailed, "{EventAction}: {TenantId}/{Dataset} paused: {ErrorMessage}", dataset.Tenant, dataset.Name, reason);
        await datasets.SetPauseAsync(dataset.Tenant, dataset.Name, new DatasetPause(clock.GetUtcNow(), reason), ct);
        return null;
    }

    /// <summary>The schema's fields that are columns of the table, and the key (always).</summary>
    private List<SourceColumn> Captured(IReadOnlyList<SourceColumn> columns)
    {
        return columns.Where(c => _fieldNames.Contains(c.Name)).ToList();
    }

    /// <summary>
    /// A tuple's values, by column. A value PostgreSQL left out because it is stored out of line and the update did not
    /// touch it (an unchanged TOAST value) is read from the table, as the row is now.
    /// </summary>
    /// <remarks><c>Unknown</c> tells that the tuple has a column the capture's accepted columns (<paramref name="state"/>) do not.</remarks>
    private async Task<((string Name, string Type, string? Text)[] Values, bool Unknown)> ReadAsync(ReplicationTuple tuple, List<SourceColumn> columns,
        NpgsqlConnection? sql, CdcSourceState state, CancellationToken ct)
    {
        var values = new List<(string, string, string?)>();
        var unchanged = false;
        await foreach (var value in tuple)
        {
            var name = value.GetFieldName();
            var column = columns.FirstOrDefault(c => c.Name == name);
            if (value.Kind == TupleDataKind.UnchangedToastedValue)
            {
                unchanged = true;
                values.Add((name, column?.Type ?? "text", null));
            }
            else
            {
                values.Add((name, column?.Type ?? "text", value.IsDBNull ? null : await value.GetTextReader().ReadToEndAsync(ct)));
            }
        }

        var captured = values.Where(v => _fieldNames.Contains(v.Item1)).ToArray();
        if (unchanged && sql is not null)
        {
            await FillUnchangedAsync(sql, captured, ct);
        }

        if (_accepted.Columns != state.Columns)
        {
            _accepted = (state.Columns, state.Columns.Split(',').Select(c => c.Split(' ')[0]).ToHashSet(StringComparer.Ordinal));
        }

        return (captured, values.Any(v => !_accepted.Names.Contains(v.Item1)));
    }

    private async Task FillUnchangedAsync(NpgsqlConnection sql, (string Name, string Type, string? Text)[] values, CancellationToken ct)
    {
        var key = dataset.PrimaryKey.Select(k => values.First(v => v.Name == k)).ToList();
        await using var command = new NpgsqlCommand(
            $"SELECT {string.Join(", ", values.Select(v => PostgresSource.Quote(v.Name) + "::text"))} FROM {PostgresSource.Qualified(_source)} WHERE " +
            string.Join(" AND ", key.Select((k, i) => $"{PostgresSource.Quote(k.Name)}::text = ${i + 1}")), sql);
        foreach (var k in key)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = k.Text });
        }

        await using var reader = await command.ExecuteReaderAsync(ct);
        if (await reader.ReadAsync(ct))
        {
            for (var i = 0; i < values.Length; i++)
            {
                values[i] = values[i] with { Text = reader.IsDBNull(i) ? null : reader.GetString(i) };
            }
        }
    }

    private void Upsert((string Name, string Type, string? Text)[] values)
    {
        var line = new StringBuilder();
        PostgresSource.AppendJsonLine(line, values);
        var key = KeyOf(values);
        _changes[string.Join('\u0001', key)] = new Change(line.ToString(), key);
    }

    private void Delete((string Name, string Type, string? Text)[] values)
    {
        var key = KeyOf(values);
        _changes[string.Join('\u0001', key)] = new Change(null, key);
    }

    private string?[] KeyOf((string Name, string Type, string? Text)[] values) =>
        dataset.PrimaryKey.Select(k => values.FirstOrDefault(v => v.Name == k).Text).ToArray();

    /// <summary>Writes the last change of each key: upserts through the events path's conversion and quality rules, then deletes.</summary>
    private async Task ApplyAsync(string source, CancellationToken ct)
    {
        if (_changes.Count == 0)
        {
            return;
        }

        var upserts = _changes.Values.Where(c => c.Line is not null).ToList();
        if (upserts.Count > 0)
        {
            var body = Encoding.UTF8.GetBytes(string.Concat(upserts.Select(u => u.Line)));
            // A dataset with a lake sink gets each written row there too, numbered within its transaction (or copy chunk): a
            // transaction offered again after a crash has the same numbers, so it is not written twice.
            var sink = dataset.Lake is null ? (IRowSink)new CoredmsSink(coredms, _ttl) : new Ingestion.Lake.StreamLakeSink(new CoredmsSink(coredms, _ttl), lake, dataset, source);
            var result = await ingestion.IngestEventsAsync(dataset, source, body, upserts.Count, sink, ct);
            if (result.RowsQuarantined > 0)
            {
                logger.IngestionEvent(IngestionEvents.RowsQuarantined, "{EventAction}: {TenantId}/{Dataset}: {RowsQuarantined} captured changes from {SourceTable} failed the dataset's rules",
                    dataset.Tenant, dataset.Name, result.RowsQuarantined, _source.Table);
            }
        }

        var converters = FileIngestion.Converters(dataset);
        foreach (var delete in _changes.Values.Where(c => c.Line is null))
        {
            var row = new RowBatch(dataset.Table, 1);
            var key = new object?[dataset.PrimaryKey.Count];
            for (var i = 0; i < key.Length; i++)
            {
                var column = dataset.Table.IndexOf(dataset.PrimaryKey[i]);
                if (delete.Key[i] is not { } text || converters[column].Convert(Encoding.UTF8.GetBytes(text), row) is not null)
                {
                    throw new LastingFailure($"a deleted row's key field '{dataset.PrimaryKey[i]}' is '{delete.Key[i]}', which the dataset cannot read");
                }

                key[i] = row.GetValue(0, column);
            }

            await coredms.DeleteAsync(dataset.Table, key, ct);
        }

        _changes.Clear();
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(ct);
    }
}
