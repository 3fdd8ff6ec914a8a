using Catalog.Agreements;
using Catalog.Files;
using Catalog.Runs;
using Ingestion.Apps;
using Microsoft.Extensions.Options;

namespace BatchIngestManager.Runs;

/// <summary>What the tenant's batch app did for a run: each claimed file's output (null when it wrote none), or why it failed.</summary>
public sealed record AppStepResult(IReadOnlyDictionary<string, string?> Outputs, string? Failure);

/// <summary>
/// The wrangling step of a batch run whose agreement names a batch app (<c>clientbatchingestapp</c>): the app runs once
/// over the tenant's staging folder (<c>in</c> to <c>out</c>), and the output it wrote for each claimed file is moved
/// next to the processed input, so that <c>out</c> holds only new work.
/// </summary>
public sealed class BatchAppStep(TenantAppRunner apps, IOptions<AppsOptions> options, StagingArea staging)
{
    public async Task<AppStepResult> RunAsync(RunRecord run, ServiceAgreement agreement, TenantApp app, IReadOnlyList<FileRecord> claimed, CancellationToken ct)
    {
        if (!options.Value.Apps.TryGetValue(app.Name, out var command))
        {
            return Failed($"the agreement names the batch app '{app.Name}', which this platform does not provide (it provides: {string.Join(", ", options.Value.Apps.Keys)})");
        }

        var outcome = await apps.RunAsync(run.Tenant, run.RunId, app.Name, command, app.Timeout, (long)agreement.Resources.LimitMemory, ct);
        if (!outcome.Succeeded)
        {
            return Failed($"the batch app '{app.Name}' failed: {outcome.Error}");
        }

        var outputs = new Dictionary<string, string?>();
        foreach (var file in claimed)
        {
            var output = Path.Combine(staging.Out(run.Tenant), file.Dataset, Path.GetFileName(file.Path));
            outputs[file.FileId] = File.Exists(output) ? Keep(run.Tenant, file.Dataset, output) : null;
        }

        return new AppStepResult(outputs, null);
    }

    private static AppStepResult Failed(string failure) => new(new Dictionary<string, string?>(), failure);

    private string Keep(string tenant, string dataset, string output)
    {
        var folder = Path.Combine(staging.Processed(tenant), dataset, "app-output");
        Directory.CreateDirectory(folder);
        var target = Path.Combine(folder, Path.GetFileName(output));
        File.Move(output, target, overwrite: true);
        return target;
    }
}
