using Catalog.Agreements;
using Catalog.Datasets;
using Coredms;

namespace Catalog.Usage;

/// <summary>
/// Why a tenant may not do something now: the quota (or <c>agreement</c> when it has none), its limit, the usage, the
/// HTTP status that says so (409, 413 or 429) and, for a rate, when to ask again.
/// </summary>
public sealed record QuotaRefusal(string Quota, long? Limit, long Used, int Status, string Detail, TimeSpan? RetryAfter = null)
{
    public const string NoAgreement = "agreement";
}

/// <summary>An upload's share of the tenant's quotas, held while its body is received: one file today, and its bytes in staging.</summary>
public sealed record UploadReservation(string Tenant, DateOnly Day, long Bytes);

/// <summary>An events request let in: the agreement it is ingested under and the rows of today's rows_per_day it holds.</summary>
public sealed record EventsReservation(string Tenant, ServiceAgreement Agreement, long Rows);

/// <summary>An events request let in (<paramref name="Reservation"/>) or refused (<paramref name="Refusal"/>), and the tenant's events_per_second standing.</summary>
public sealed record EventsAdmissionResult(EventsReservation? Reservation, QuotaRefusal? Refusal, RateDecision? Rate);

/// <summary>
/// The one place that says whether a tenant may take more: a file of N bytes, N events, more rows today. Every path
/// asks it, and what it allows is reserved in the <see cref="UsageLedger"/> in the same atomic step as the check, so
/// parallel requests cannot pass a limit together; what is then refused or fails is given back. Limits come from the
/// tenant's agreement. A tenant without one may register datasets and upload (files wait, staged), but nothing of it
/// is ingested: its retention is unknown.
/// </summary>
public sealed class QuotaPolicy(AgreementCatalog agreements, DatasetCatalog datasets, UsageLedger ledger, ICoredms coredms, EventRateLimiter rates)
{
    public const int Conflict = 409;
    public const int TooLarge = 413;
    public const int TooMany = 429;

    /// <summary>Most runs a tenant may have waiting (requested, not yet running).</summary>
    public const int MaxWaitingRuns = 10;

    /// <summary>Reserves a file of <paramref name="bytes"/> (files_per_day, storage_mb), or says which quota refuses it.</summary>
    public async Task<(UploadReservation? Reservation, QuotaRefusal? Refusal)> ReserveUploadAsync(string tenant, long bytes, CancellationToken ct)
    {
        var quotas = await QuotasAsync(tenant, ct);
        var day = ledger.Today;
        var (applied, today) = await ledger.TryAddAsync(tenant, day, new DayDelta(Files: 1),
            found => quotas.FilesPerDay is not { } limit || found.Files + 1 <= limit, ct);
        if (!applied)
        {
            return (null, new QuotaRefusal("files_per_day", quotas.FilesPerDay, today.Files, TooMany,
                $"Tenant '{tenant}' has uploaded {today.Files} files today, its files_per_day limit is {quotas.FilesPerDay}; try again tomorrow (UTC).", UntilTomorrow()));
        }

        var stored = quotas.StorageMb is null ? 0 : await StoredBytesAsync(tenant, ct);
        var (reserved, staged) = await ledger.TryAddStagedAsync(tenant, bytes,
            found => quotas.StorageMb is not { } mb || stored + found + bytes <= mb * Mb, ct);
        if (!reserved)
        {
            await ledger.AddAsync(tenant, day, new DayDelta(Files: -1), CancellationToken.None);
            var total = (stored + staged + bytes) / Mb;
            return (null, new QuotaRefusal("storage_mb", quotas.StorageMb, total, TooLarge,
                $"Storing this file would bring tenant '{tenant}' to {total} MB, over its storage_mb limit of {quotas.StorageMb} MB."));
        }

        return (new UploadReservation(tenant, day, bytes), null);
    }

    /// <summary>Gives an upload's reservation back: the file was refused, or its receipt failed.</summary>
    public async Task ReleaseUploadAsync(UploadReservation reservation)
    {
        await ledger.AddAsync(reservation.Tenant, reservation.Day, new DayDelta(Files: -1), CancellationToken.None);
        await ledger.AddStagedAsync(reservation.Tenant, -reservation.Bytes, CancellationToken.None);
    }

    /// <summary>The upload is received: its staged bytes become the file's real size.</summary>
    public Task SettleUploadAsync(UploadReservation reservation, long bytes) =>
        bytes == reservation.Bytes ? Task.CompletedTask : ledger.AddStagedAsync(reservation.Tenant, bytes - reservation.Bytes, CancellationToken.None);

    /// <summary>
    /// Lets an events request in: the tenant has an agreement, the events fit its events_per_second rate and its
    /// storage_mb, and their rows are reserved out of today's rows_per_day. Otherwise says what refuses them.
    /// <see cref="EventsAdmissionResult.Rate"/> says where the tenant stands against events_per_second, when it has that quota.
    /// </summary>
    public async Task<EventsAdmissionResult> ReserveEventsAsync(string tenant, long events, CancellationToken ct)
    {
        if (await agreements.GetAsync(tenant, ct) is not { } agreement)
        {
            return new(null, Unregistered(tenant), null);
        }

        var quotas = agreement.Quotas;
        var rate = quotas.EventsPerSecond is { } perSecond ? rates.TryTake(tenant, perSecond, events) : null;
        var (reservation, refusal) = await ReserveEventsAsync(tenant, agreement, rate, events, ct);
        return new(reservation, refusal, rate);
    }

    private async Task<(EventsReservation? Reservation, QuotaRefusal? Refusal)> ReserveEventsAsync(string tenant, ServiceAgreement agreement, RateDecision? rate, long events, CancellationToken ct)
    {
        var quotas = agreement.Quotas;
        if (rate is { Allowed: false } decision)
        {
            var perSecond = decision.Limit;
            return (null, decision.TooLarge
                ? new QuotaRefusal("events_per_second", perSecond, events, TooLarge,
                    $"The request has {events} events, more than the events_per_second limit of {perSecond} allows at once; send at most {perSecond} per request.")
                : new QuotaRefusal("events_per_second", perSecond, events, TooMany,
                    $"Tenant '{tenant}' may send {perSecond} events per second; these {events} fit in {decision.RetryAfter.TotalSeconds:0.###} s. Nothing of this request was taken.",
                    decision.RetryAfter));
        }

        if (await StorageRefusalAsync(tenant, quotas, ct) is { } full)
        {
            return (null, full);
        }

        if (quotas.RowsPerDay is not { } limit)
        {
            return (new EventsReservation(tenant, agreement, 0), null);
        }

        var (applied, today) = await ledger.TryAddAsync(tenant, ledger.Today, new DayDelta(RowsLoaded: events), found => found.RowsLoaded + events <= limit, ct);
        return applied ? (new EventsReservation(tenant, agreement, events), null) : (null, new QuotaRefusal("rows_per_day", limit, today.RowsLoaded, TooMany,
            $"Tenant '{tenant}' has loaded {today.RowsLoaded} rows today, its rows_per_day limit is {limit}: these {events} events do not fit. Nothing of this request was taken.",
            UntilTomorrow()));
    }

    /// <summary>Counts what an events request stored, giving back what was reserved and not loaded (all of it when nothing was stored).</summary>
    public Task SettleEventsAsync(EventsReservation reservation, long loaded, long quarantined, long events) =>
        ledger.AddAsync(reservation.Tenant, ledger.Today, new DayDelta(RowsLoaded: loaded - reservation.Rows, RowsQuarantined: quarantined, Events: events), CancellationToken.None);

    /// <summary>
    /// Whether the tenant's staged files may be ingested now, and under which agreement: it has one, and rows left
    /// today (checked before each file: a file's rows are not known before it is read). Runs, the stream's files and
    /// the ingest request all ask this.
    /// </summary>
    public async Task<(ServiceAgreement? Agreement, QuotaRefusal? Refusal)> AdmitAsync(string tenant, CancellationToken ct)
    {
        if (await agreements.GetAsync(tenant, ct) is not { } agreement)
        {
            return (null, Unregistered(tenant));
        }

        if (agreement.Quotas.RowsPerDay is not { } limit)
        {
            return (agreement, null);
        }

        var today = await ledger.DayAsync(tenant, ledger.Today, ct);
        return today.RowsLoaded < limit ? (agreement, null) : (null, new QuotaRefusal("rows_per_day", limit, today.RowsLoaded, TooMany,
            $"rows_per_day quota reached (limit {limit}, used {today.RowsLoaded}); files stay staged until tomorrow (UTC)", UntilTomorrow()));
    }

    /// <summary>How many runs of the tenant may go at once: its concurrent_runs (1 to 16, 1 by default), and 1 whenever it has a batch app, which works on the whole staging folder.</summary>
    public static int RunSlots(ServiceAgreement? agreement) =>
        agreement?.BatchApp is null ? (int)Math.Clamp(agreement?.Quotas.ConcurrentRuns ?? 1, 1, 16) : 1;

    /// <summary>The refusal of a run request while <see cref="MaxWaitingRuns"/> wait already.</summary>
    public static QuotaRefusal QueueFull(string tenant) => new("waiting_runs", MaxWaitingRuns, MaxWaitingRuns, TooMany,
        $"Tenant '{tenant}' has {MaxWaitingRuns} runs waiting already; ask again once some have started.");

    private static QuotaRefusal Unregistered(string tenant) => new(QuotaRefusal.NoAgreement, null, 0, Conflict,
        $"Tenant '{tenant}' has no service agreement, so retention is unknown and nothing is ingested: PUT /tenants/{tenant}/agreement first (files uploaded meanwhile wait, staged).");

    private TimeSpan UntilTomorrow() => ledger.Today.AddDays(1).ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc) - ledger.Now.UtcDateTime;

    /// <summary>Counts a file's rows once it has been ingested, and its bytes out of staging.</summary>
    public async Task FileIngestedAsync(string tenant, long bytes, long loaded, long quarantined)
    {
        await ledger.AddAsync(tenant, ledger.Today, new DayDelta(RowsLoaded: loaded, RowsQuarantined: quarantined), CancellationToken.None);
        await ledger.AddStagedAsync(tenant, -bytes, CancellationToken.None);
    }

    /// <summary>A staged file removed without being ingested (past retention): its bytes leave staging.</summary>
    public Task FileRemovedAsync(string tenant, long bytes) => ledger.AddStagedAsync(tenant, -bytes, CancellationToken.None);

    /// <summary>Counts a file that arrived in staging without an upload (dropped, or written by a tenant's app).</summary>
    public Task FileArrivedAsync(string tenant, long bytes) => ledger.AddStagedAsync(tenant, bytes, CancellationToken.None);

    /// <summary>storage_mb, for paths that cannot reserve bytes ahead (events): refused once the tenant is over it.</summary>
    private async Task<QuotaRefusal?> StorageRefusalAsync(string tenant, Quotas quotas, CancellationToken ct)
    {
        if (quotas.StorageMb is not { } mb)
        {
            return null;
        }

        var used = await StoredBytesAsync(tenant, ct) + await ledger.StagedBytesAsync(tenant, ct);
        return used < mb * Mb ? null : new QuotaRefusal("storage_mb", mb, used / Mb, TooLarge,
            $"Tenant '{tenant}' stores {used / Mb} MB, its storage_mb limit is {mb} MB: nothing more is taken until data expires or the limit grows.");
    }

    /// <summary>Bytes of the tenant's keyspaces (rows and quarantine).</summary>
    public async Task<long> StoredBytesAsync(string tenant, CancellationToken ct)
    {
        long stored = 0;
        foreach (var keyspace in (await datasets.ListAsync(tenant, ct)).Select(d => d.Keyspace).Distinct())
        {
            stored += await coredms.SizeAsync(keyspace, ct);
        }

        return stored;
    }

    private async Task<Quotas> QuotasAsync(string tenant, CancellationToken ct) => (await agreements.GetAsync(tenant, ct))?.Quotas ?? Quotas.Unlimited;

    private const long Mb = 1024 * 1024;
}
