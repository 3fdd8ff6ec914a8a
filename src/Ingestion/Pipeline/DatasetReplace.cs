using Catalog.Datasets;
using Catalog.Files;
using Coredms;
using IngestionLog;
using Microsoft.Extensions.Logging;

namespace Ingestion.Pipeline;

/// <summary>
/// Replace mode (<see cref="LoadMode.Replace"/>): a file's rows become its dataset's rows, all at once for readers.
/// The file is loaded into a fresh table, the dataset's next generation (<c>{record}_r{n}</c>), while readers and writers
/// go on with the current one. When the file loaded (wholly, or partly as the dataset's <c>on_error</c> allows), one
/// compare-and-set on the catalog row makes the new table the dataset's, and the old one is dropped. A file that fails,
/// or a dataset registered again or replaced meanwhile, leaves the old table as it was and drops the new one.
/// Killed before the switch, the old rows stay, and the file, taken again, starts its table afresh; killed between the
/// switch and the drop, the next replace drops the table left behind.
/// </summary>
public sealed class DatasetReplace(DatasetCatalog datasets, ICoredms coredms, ILogger<DatasetReplace> logger)
{
    public const string DatasetReplaced = "dataset.replaced";

    /// <summary>A replace under way: the dataset as it was when it began, and the same dataset on the table being filled.</summary>
    public sealed record Replacement(Dataset Current, Dataset Target);

    /// <summary>Makes the empty table a replace fills; a refusal instead when the dataset shares its table with another dataset.</summary>
    public async Task<(Replacement? Replacement, string? Refusal)> BeginAsync(Dataset dataset, CancellationToken ct)
    {
        var others = (await datasets.ListAsync(dataset.Tenant, ct)).Where(d => d.Name != dataset.Name && d.Keyspace == dataset.Keyspace).ToList();
        var sharing = others.Where(d => d.TableName == dataset.TableName).Select(d => d.Name).Order().ToList();
        if (sharing.Count > 0)
        {
            return (null, $"Dataset '{dataset.Name}' shares table {dataset.LogicalKeySpace}.{dataset.TableName} with {string.Join(", ", sharing)}: " +
                "a replace would replace their rows too, so the rows were left as they were. Give the dataset its own key_space or record name to replace it.");
        }

        var taken = others.Select(d => d.TableName).ToHashSet(StringComparer.Ordinal);
        if (dataset.Generation > 0 && dataset.TableOfGeneration(dataset.Generation - 1) is var before && !taken.Contains(before))
        {
            await coredms.DropTableAsync(dataset.Keyspace, before, ct);
        }

        var generation = dataset.Generation + 1;
        while (taken.Contains(dataset.TableOfGeneration(generation)))
        {
            generation++;
        }

        var target = dataset.OnTable(dataset.TableOfGeneration(generation));
        await coredms.DropTableAsync(target.Keyspace, target.TableName, ct);
        await coredms.EnsureTableAsync(target.Table, ct);
        return (new Replacement(dataset, target), null);
    }

    /// <summary>Switches the dataset to the filled table when the file loaded; otherwise drops that table and says why in the result.</summary>
    public async Task<IngestionResult> FinishAsync(Replacement replacement, string fileId, IngestionResult result, CancellationToken ct)
    {
        var (current, target) = replacement;
        if (result.Status == FileStatus.Failed)
        {
            await coredms.DropTableAsync(target.Keyspace, target.TableName, ct);
            return result with { RowsLoaded = 0, Error = result.Error + " The dataset's rows were not replaced." };
        }

        if (!await datasets.SwitchTableAsync(current, target.TableName, ct))
        {
            await coredms.DropTableAsync(target.Keyspace, target.TableName, ct);
            return IngestionResult.Failed("The dataset was registered again, replaced or deleted while this file was loaded, so its rows were not replaced; upload the file again.",
                result.RowsRead, 0, result.RowsQuarantined, result.RowsSkipped) with { Header = result.Header };
        }

        logger.IngestionEvent(DatasetReplaced, "{EventAction}: {TenantId}/{Dataset} file {FileId} replaced the rows: table {Table} now holds {RowsLoaded} rows, table {DroppedTable} was dropped",
            current.Tenant, current.Name, fileId, target.TableName, result.RowsLoaded, current.TableName);
        try
        {
            await coredms.DropTableAsync(current.Keyspace, current.TableName, ct);
        }
        catch (CoredmsException e)
        {
            logger.LogWarning(e, "The table {Table} that {TenantId}/{Dataset} no longer uses could not be dropped; its next replace drops it", current.TableName, current.Tenant, current.Name);
        }

        return result;
    }
}
