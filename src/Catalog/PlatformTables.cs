using Coredms;

namespace Catalog;

/// <summary>The platform catalog's tables, in keyspace <c>mysimbdp_platform</c> of coredms.</summary>
public static class PlatformTables
{
    private const string Ks = KeyspaceNames.Platform;

    public static readonly TableSchema Tenants = new(Ks, "tenants",
    [
        new Column("id", DataType.Text),
        new Column("secret_hash", DataType.Text),
        new Column("created_at", DataType.Timestamp),
        new Column("secret_generation", DataType.Int),
    ], ["id"]);

    public static readonly TableSchema Datasets = new(Ks, "datasets",
    [
        new Column("tenant", DataType.Text),
        new Column("name", DataType.Text),
        new Column("document", DataType.Text),
        new Column("keyspace", DataType.Text),
        new Column("table_name", DataType.Text),
        new Column("fingerprint", DataType.BigInt),
        new Column("created_at", DataType.Timestamp),
        new Column("updated_at", DataType.Timestamp),
        new Column("paused_at", DataType.Timestamp),
        new Column("pause_reason", DataType.Text),
    ], ["tenant"], ["name"]) { Serial = true };

    public static readonly TableSchema Agreements = new(Ks, "agreements",
    [
        new Column("tenant", DataType.Text),
        new Column("document", DataType.Text),
        new Column("updated_at", DataType.Timestamp),
    ], ["tenant"]);

    public static readonly TableSchema Files = new(Ks, "files",
    [
        new Column("tenant", DataType.Text),
        new Column("file_id", DataType.Text),
        new Column("dataset", DataType.Text),
        new Column("name", DataType.Text),
        new Column("path", DataType.Text),
        new Column("status", DataType.Text),
        new Column("bytes", DataType.BigInt),
        new Column("rows_read", DataType.BigInt),
        new Column("rows_loaded", DataType.BigInt),
        new Column("rows_quarantined", DataType.BigInt),
        new Column("rows_skipped", DataType.BigInt),
        new Column("received_at", DataType.Timestamp),
        new Column("started_at", DataType.Timestamp),
        new Column("finished_at", DataType.Timestamp),
        new Column("error", DataType.Text),
        new Column("owner", DataType.Text),
        new Column("lease_until", DataType.Timestamp),
        new Column("attempts", DataType.Int),
        new Column("run_id", DataType.Text),
        new Column("header", DataType.Text),
        new Column("mode", DataType.Text),
    ], ["tenant"], ["file_id"]) { Serial = true };

    public static readonly TableSchema Runs = new(Ks, "runs",
    [
        new Column("tenant", DataType.Text),
        new Column("run_id", DataType.Text),
        new Column("dataset", DataType.Text),
        new Column("trigger", DataType.Text),
        new Column("status", DataType.Text),
        new Column("requested_at", DataType.Timestamp),
        new Column("started_at", DataType.Timestamp),
        new Column("finished_at", DataType.Timestamp),
        new Column("files", DataType.Int),
        new Column("rows_loaded", DataType.BigInt),
        new Column("rows_quarantined", DataType.BigInt),
        new Column("error", DataType.Text),
        new Column("owner", DataType.Text),
        new Column("file_results", DataType.Text),
    ], ["tenant"], ["run_id"]) { Serial = true };

    /// <summary>The runs not finished yet (requested or running), one row each until the run has its outcome.</summary>
    public static readonly TableSchema RunQueue = new(Ks, "run_queue",
    [
        new Column("tenant", DataType.Text),
        new Column("run_id", DataType.Text),
        new Column("requested_at", DataType.Timestamp),
    ], ["tenant"], ["run_id"]);

    /// <summary>One row per lock (a tenant's run slot) while a batch run holds it; the row's TTL is the lease, so a dead holder's lock expires.</summary>
    public static readonly TableSchema TenantLocks = new(Ks, "tenant_locks",
    [
        new Column("tenant", DataType.Text),
        new Column("owner", DataType.Text),
        new Column("acquired_at", DataType.Timestamp),
    ], ["tenant"]) { Serial = true };

    /// <summary>Every schema a dataset was registered with, by fingerprint: readers of older records find their writer schema here.</summary>
    public static readonly TableSchema Schemas = new(Ks, "schemas",
    [
        new Column("fingerprint", DataType.BigInt),
        new Column("schema", DataType.Text),
        new Column("registered_at", DataType.Timestamp),
    ], ["fingerprint"]);

    /// <summary>
    /// Each dataset's schema versions in the order they were registered, each with its full JSON: the fingerprint of
    /// <see cref="Schemas"/> is of the canonical form, which leaves out the defaults and aliases that evolution turns on.
    /// </summary>
    public static readonly TableSchema DatasetSchemas = new(Ks, "dataset_schemas",
    [
        new Column("tenant", DataType.Text),
        new Column("dataset", DataType.Text),
        new Column("version", DataType.Int),
        new Column("fingerprint", DataType.BigInt),
        new Column("schema", DataType.Text),
        new Column("registered_at", DataType.Timestamp),
    ], ["tenant"], ["dataset", "version"]);

    /// <summary>Idempotency keys of requests, a partition each (a busy tenant sends millions a day), kept a day.</summary>
    public static readonly TableSchema IdempotencyKeys = new(Ks, "idempotency_keys",
    [
        new Column("tenant", DataType.Text),
        new Column("key", DataType.Text),
        new Column("request_hash", DataType.Text),
        new Column("state", DataType.Text),
        new Column("answer", DataType.Text),
        new Column("claimed_at", DataType.Timestamp),
    ], ["tenant", "key"]) { Serial = true };

    /// <summary>Files received and rows loaded and quarantined per tenant and UTC day, whatever the path (files or events).</summary>
    public static readonly TableSchema UsageDays = new(Ks, "usage_days",
    [
        new Column("tenant", DataType.Text),
        new Column("day", DataType.Date),
        new Column("rows_loaded", DataType.BigInt),
        new Column("rows_quarantined", DataType.BigInt),
        new Column("events", DataType.BigInt),
        new Column("files", DataType.BigInt),
    ], ["tenant"], ["day"]) { Serial = true };

    /// <summary>Bytes of a tenant's files that wait in staging (staged, being ingested, or being received).</summary>
    public static readonly TableSchema StagedBytes = new(Ks, "staged_bytes",
    [
        new Column("tenant", DataType.Text),
        new Column("bytes", DataType.BigInt),
    ], ["tenant"]) { Serial = true };

    /// <summary>
    /// The ingestion log the admin API reads: a partition per tenant and UTC day (events without a tenant
    /// under <c>-</c>), ordered by event id (time-ordered), each row with the ECS document.
    /// </summary>
    public static readonly TableSchema LogEvents = new(Ks, "log_events",
    [
        new Column("tenant", DataType.Text),
        new Column("day", DataType.Text),
        new Column("event_id", DataType.Text),
        new Column("at", DataType.Timestamp),
        new Column("level", DataType.Text),
        new Column("action", DataType.Text),
        new Column("dataset", DataType.Text),
        new Column("file_id", DataType.Text),
        new Column("run_id", DataType.Text),
        new Column("message", DataType.Text),
        new Column("document", DataType.Text),
    ], ["tenant", "day"], ["event_id"]);

    /// <summary>Tenants' database connections (change data capture sources), the password sealed.</summary>
    public static readonly TableSchema Connections = new(Ks, "connections",
    [
        new Column("tenant", DataType.Text),
        new Column("name", DataType.Text),
        new Column("type", DataType.Text),
        new Column("host", DataType.Text),
        new Column("port", DataType.Int),
        new Column("database_name", DataType.Text),
        new Column("user_name", DataType.Text),
        new Column("password", DataType.Text),
        new Column("updated_at", DataType.Timestamp),
    ], ["tenant"], ["name"]);

    /// <summary>
    /// What the platform made in a tenant's database to capture a dataset's changes (its replication slot and
    /// publication), the table's columns when last seen, and whether the initial snapshot was written.
    /// </summary>
    public static readonly TableSchema CdcSources = new(Ks, "cdc_sources",
    [
        new Column("tenant", DataType.Text),
        new Column("dataset", DataType.Text),
        new Column("connection", DataType.Text),
        new Column("source_table", DataType.Text),
        new Column("slot", DataType.Text),
        new Column("publication", DataType.Text),
        new Column("columns", DataType.Text),
        new Column("snapshot_done", DataType.Boolean),
        new Column("updated_at", DataType.Timestamp),
    ], ["tenant"], ["dataset"]);

    /// <summary>What each of a file's sinks besides coredms (the data lake) wrote of it, or why it has not yet.</summary>
    public static readonly TableSchema FileSinks = new(Ks, "file_sinks",
    [
        new Column("tenant", DataType.Text),
        new Column("file_id", DataType.Text),
        new Column("sink", DataType.Text),
        new Column("dataset", DataType.Text),
        new Column("status", DataType.Text),
        new Column("rows", DataType.BigInt),
        new Column("files", DataType.Int),
        new Column("attempts", DataType.Int),
        new Column("error", DataType.Text),
        new Column("updated_at", DataType.Timestamp),
    ], ["tenant"], ["file_id", "sink"]);

    public static IReadOnlyList<TableSchema> All =>
        [Tenants, Datasets, Agreements, Files, Runs, RunQueue, TenantLocks, Schemas, DatasetSchemas, IdempotencyKeys, UsageDays, StagedBytes, LogEvents, Connections, CdcSources,
            FileSinks];

    public static async Task EnsureAsync(ICoredms coredms, CancellationToken ct)
    {
        await coredms.EnsureKeyspaceAsync(Ks, ct);
        foreach (var table in All)
        {
            await coredms.EnsureTableAsync(table, ct);
        }
    }
}
