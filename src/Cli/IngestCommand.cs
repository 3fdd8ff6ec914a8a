using System.CommandLine;
using System.Text.Json;
using Spectre.Console;

namespace Mysimbdp.Cli;

/// <summary>
/// <c>ingest</c>: requests a batch run of a dataset now; with <c>--wait</c>, shows its status until it ends, then
/// what it did to each file and why rows were quarantined, and exits with a code that says how it went.
/// </summary>
public static class IngestCommand
{
    private static readonly string[] Waiting = ["requested", "running"];

    private static readonly string[] FileColumns = ["file_id", "name", "status", "rows_read", "rows_loaded", "rows_quarantined", "error"];

    public static Command Create(Func<ParseResult, Session> sessionOf)
    {
        var dataset = new Option<string>("--dataset", "-d") { Description = "The dataset to ingest.", Required = true };
        var wait = new Option<bool>("--wait") { Description = "Wait until the run has ended; exit 0 succeeded, 3 partially succeeded, 4 failed." };
        var timeout = new Option<int>("--timeout") { Description = "Give up waiting after this many seconds (exit 2).", DefaultValueFactory = _ => 3600 };
        var command = new Command("ingest", "Run the dataset's batch ingestion now instead of waiting for the schedule.") { dataset, wait, timeout };
        command.Does(sessionOf, async (p, session, ct) =>
        {
            using var client = session.Connect();
            var tenant = session.TenantOf(client);
            var requested = await client.PostAsync($"tenants/{tenant}/datasets/{Uri.EscapeDataString(p.GetValue(dataset)!)}/ingest", null, ct);
            var runId = requested.GetProperty("run_id").GetString()!;
            if (!p.GetValue(wait))
            {
                if (session.Json)
                {
                    session.WriteJson(requested);
                }
                else
                {
                    session.Ui.MarkupLineInterpolated($"Run [bold]{runId}[/] requested.");
                }

                return ExitCodes.Succeeded;
            }

            using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
            limit.CancelAfter(TimeSpan.FromSeconds(p.GetValue(timeout)));
            JsonElement run;
            try
            {
                run = session.Json
                    ? await WaitAsync(client, tenant, runId, _ => { }, limit.Token)
                    : await session.Ui.Status().StartAsync($"Run {runId}: requested", status => WaitAsync(client, tenant, runId, r => status.Status(Describe(r)), limit.Token));
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                throw new CliException(ExitCodes.Refused, $"run {runId} had not ended after {p.GetValue(timeout)} s; 'mysimbdp runs {runId}' shows it");
            }

            if (session.Json)
            {
                session.WriteJson(run);
            }
            else
            {
                Summarize(session.Ui, run);
                await TopReasonsAsync(session.Ui, client, tenant, run, ct);
            }

            return PlatformClient.Text(run, "status") switch
            {
                "succeeded" => ExitCodes.Succeeded,
                "partially_succeeded" => ExitCodes.Partial,
                _ => ExitCodes.Failed,
            };
        });
        return command;
    }

    /// <summary>Polls the run (a quarter of a second apart) until it is neither requested nor running.</summary>
    private static async Task<JsonElement> WaitAsync(PlatformClient client, string tenant, string runId, Action<JsonElement> seen, CancellationToken ct)
    {
        while (true)
        {
            var run = await client.GetAsync($"tenants/{tenant}/runs/{Uri.EscapeDataString(runId)}", ct);
            seen(run);
            if (!Waiting.Contains(PlatformClient.Text(run, "status")))
            {
                return run;
            }

            await Task.Delay(250, ct);
        }
    }

    private static string Describe(JsonElement run)
    {
        var files = run.GetProperty("file_results");
        var done = files.EnumerateArray().Count(f => !Waiting.Contains(PlatformClient.Text(f, "status")) && PlatformClient.Text(f, "status") is not ("staged" or "processing"));
        return $"Run {PlatformClient.Text(run, "run_id")}: {PlatformClient.Text(run, "status")}" +
            (files.GetArrayLength() > 0 ? $", {done} of {files.GetArrayLength()} files done, {PlatformClient.Text(run, "rows_loaded")} rows loaded" : "");
    }

    /// <summary>The run's outcome and a table of its files.</summary>
    public static void Summarize(IAnsiConsole ui, JsonElement run)
    {
        var status = PlatformClient.Text(run, "status");
        var colour = status switch { "succeeded" => "green", "partially_succeeded" => "yellow", "failed" => "red", _ => "grey" };
        ui.MarkupLine($"Run [bold]{PlatformClient.Text(run, "run_id").EscapeMarkup()}[/]: [{colour}]{status.EscapeMarkup()}[/], " +
            $"{PlatformClient.Text(run, "files")} files, {PlatformClient.Text(run, "rows_loaded")} rows loaded, {PlatformClient.Text(run, "rows_quarantined")} quarantined");
        if (PlatformClient.Text(run, "error") is { Length: > 0 } error)
        {
            ui.MarkupLine($"[red]{error.EscapeMarkup()}[/]");
        }

        var files = run.GetProperty("file_results");
        if (files.GetArrayLength() == 0)
        {
            return;
        }

        // A file another run took before this one got to it says so under its status.
        var table = new Table().AddColumns("file", "name", "status", "read", "loaded", "quarantined", "error");
        foreach (var f in files.EnumerateArray())
        {
            var cells = FileColumns.Select(c => PlatformClient.Text(f, c)).ToArray();
            if (PlatformClient.Text(f, "ingested_by") is { Length: > 0 } by)
            {
                cells[2] += $" (by {(by == "stream" ? "streaming" : "run " + by)})";
            }

            table.AddRow(cells.Select(c => c.EscapeMarkup()).ToArray());
        }

        ui.Write(table);
    }

    /// <summary>The five commonest reasons rows of the run's files were quarantined (from the first 1,000 of each file).</summary>
    private static async Task TopReasonsAsync(IAnsiConsole ui, PlatformClient client, string tenant, JsonElement run, CancellationToken ct)
    {
        var reasons = new Dictionary<(string Column, string Rule, string Reason), int>();
        foreach (var f in run.GetProperty("file_results").EnumerateArray().Where(f => f.GetProperty("rows_quarantined").GetInt64() > 0))
        {
            var page = await client.GetAsync(
                $"tenants/{tenant}/datasets/{Uri.EscapeDataString(PlatformClient.Text(f, "dataset"))}/quarantine{TenantCommands.Query(("file_id", PlatformClient.Text(f, "file_id")), ("limit", "1000"))}", ct);
            foreach (var row in page.GetProperty("rows").EnumerateArray())
            {
                var key = (PlatformClient.Text(row, "column"), PlatformClient.Text(row, "rule"), PlatformClient.Text(row, "reason"));
                reasons[key] = reasons.GetValueOrDefault(key) + 1;
            }
        }

        if (reasons.Count == 0)
        {
            return;
        }

        var table = new Table().Title("Top quarantine reasons").AddColumns("rows", "column", "rule", "reason");
        foreach (var ((column, rule, reason), count) in reasons.OrderByDescending(r => r.Value).Take(5))
        {
            table.AddRow(count.ToString(), column.EscapeMarkup(), rule.EscapeMarkup(), reason.EscapeMarkup());
        }

        ui.Write(table);
    }
}
