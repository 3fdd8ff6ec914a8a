using System.CommandLine;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Spectre.Console;

namespace Mysimbdp.Cli;

/// <summary>The commands that work on a dataset's data after it lands: infer, schemas, delete, truncate, replay.</summary>
public static class DataCommands
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary><c>datasets infer FILE</c>: a data configuration proposed from a sample, to edit and apply.</summary>
    public static Command Infer(Func<ParseResult, Session> sessionOf)
    {
        var file = new Argument<FileInfo>("file") { Description = "A sample: CSV, TSV or Avro." };
        var name = new Option<string?>("--name") { Description = "The dataset's name (default: the file's name)." };
        var keySpace = new Option<string?>("--key-space") { Description = "The key space (default 'main')." };
        var output = new Option<FileInfo?>("--out", "-o") { Description = "Write the proposed configuration here (for 'datasets apply -f')." };
        var command = new Command("infer", "Propose a data configuration from a sample file: types, nullability, a key.") { file, name, keySpace, output };
        command.Does(sessionOf, async (p, session, ct) =>
        {
            var sample = p.GetValue(file)!;
            if (!sample.Exists)
            {
                throw new CliException(ExitCodes.Usage, $"no file {sample.FullName}");
            }

            using var client = session.Connect();
            var query = TenantCommands.Query(("name", p.GetValue(name)), ("key_space", p.GetValue(keySpace)));
            var inferred = await client.PostAsync($"tenants/{session.TenantOf(client)}/datasets/infer{query}", () =>
            {
                var content = new StreamContent(sample.OpenRead());
                content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
                return new MultipartFormDataContent { { content, "file", sample.Name } };
            }, ct);
            var configuration = JsonSerializer.Serialize(inferred.GetProperty("configuration"), Indented);
            if (p.GetValue(output) is { } target)
            {
                await File.WriteAllTextAsync(target.FullName, configuration + "\n", ct);
            }

            if (session.Json)
            {
                session.WriteJson(inferred);
                return ExitCodes.Succeeded;
            }

            TenantCommands.Listing(session, inferred, "fields", ("field", "field"), ("column", "column"), ("type", "type"), ("nullable", "nullable"),
                ("values", "values"), ("blanks", "blanks"), ("examples", "examples"));
            session.Ui.MarkupLine($"Key: [bold]{PlatformClient.Text(inferred.GetProperty("configuration"), "primary_key").EscapeMarkup()}[/], from {PlatformClient.Text(inferred, "rows_sampled")} rows.");
            foreach (var note in inferred.GetProperty("notes").EnumerateArray())
            {
                session.Ui.MarkupLine($"[yellow]{note.GetString()!.EscapeMarkup()}[/]");
            }

            session.Ui.MarkupLine(p.GetValue(output) is { } written
                ? $"Configuration written to [bold]{written.FullName.EscapeMarkup()}[/]: edit it, then 'mysimbdp datasets apply -f {written.Name.EscapeMarkup()}'."
                : "Pass --out FILE to keep the configuration, or --json to see it.");
            return ExitCodes.Succeeded;
        });
        return command;
    }

    /// <summary><c>datasets schemas NAME</c>: the dataset's schema versions.</summary>
    public static Command Schemas(Func<ParseResult, Session> sessionOf)
    {
        var name = new Argument<string>("name") { Description = "The dataset's name." };
        var command = new Command("schemas", "The dataset's schema versions and its compatibility level.") { name };
        command.Does(sessionOf, async (p, session, ct) =>
        {
            using var client = session.Connect();
            var body = await client.GetAsync($"tenants/{session.TenantOf(client)}/datasets/{Uri.EscapeDataString(p.GetValue(name)!)}/schemas", ct);
            if (!session.Json)
            {
                session.Ui.MarkupLine($"Compatibility: [bold]{PlatformClient.Text(body, "compatibility").EscapeMarkup()}[/]");
            }

            return TenantCommands.Listing(session, body, "versions", ("version", "version"), ("fingerprint", "fingerprint"), ("registered", "registered_at"));
        });
        return command;
    }

    /// <summary><c>delete</c>: rows by one full key, or every row under a key prefix.</summary>
    public static Command Delete(Func<ParseResult, Session> sessionOf)
    {
        var dataset = new Option<string>("--dataset", "-d") { Description = "The dataset.", Required = true };
        var keys = new Option<string[]>("--key", "-k") { Description = "A primary key field and its value, field=value (repeatable; the whole partition key at least).", Required = true };
        var command = new Command("delete", "Delete the row with this key, or every row under this key prefix.") { dataset, keys };
        command.Does(sessionOf, async (p, session, ct) =>
        {
            var where = new Dictionary<string, string>();
            foreach (var (field, value) in TenantCommands.KeyValues(p.GetValue(keys)!))
            {
                where[field] = value;
            }

            using var client = session.Connect();
            var deleted = await client.PostAsync($"tenants/{session.TenantOf(client)}/datasets/{Uri.EscapeDataString(p.GetValue(dataset)!)}/rows/delete",
                () => new StringContent(JsonSerializer.Serialize(new { where }), Encoding.UTF8, "application/json"), ct);
            return TenantCommands.Done(session, deleted, $"Rows under {string.Join(", ", where.Select(w => $"{w.Key}={w.Value}")).EscapeMarkup()} deleted.");
        });
        return command;
    }

    /// <summary><c>datasets pause NAME</c> and <c>datasets resume NAME</c>.</summary>
    public static Command Pausing(Func<ParseResult, Session> sessionOf, string verb)
    {
        var name = new Argument<string>("name") { Description = "The dataset's name." };
        var command = new Command(verb, verb == "pause"
            ? "Pause a dataset: runs skip it, its files stay staged, its events are refused (409)."
            : "Resume a paused dataset: what waited is taken.") { name };
        command.Does(sessionOf, async (p, session, ct) =>
        {
            using var client = session.Connect();
            var dataset = await client.PostAsync($"tenants/{session.TenantOf(client)}/datasets/{Uri.EscapeDataString(p.GetValue(name)!)}/{verb}", null, ct);
            return TenantCommands.Done(session, dataset, $"Dataset [bold]{p.GetValue(name)!.EscapeMarkup()}[/] is {PlatformClient.Text(dataset, "status.state").EscapeMarkup()}.");
        });
        return command;
    }

    /// <summary><c>lake ls DATASET</c> and <c>lake query DATASET SQL</c>: a dataset's lake files, and a SELECT over them.</summary>
    public static Command Lake(Func<ParseResult, Session> sessionOf)
    {
        var lake = new Command("lake", "A dataset's data lake (its Parquet files): list them, or query them with SQL.");
        var name = new Argument<string>("dataset") { Description = "The dataset's name." };
        var list = new Command("ls", "The dataset's lake partitions and files.") { name };
        list.Does(sessionOf, async (p, session, ct) =>
        {
            using var client = session.Connect();
            var body = await client.GetAsync($"tenants/{session.TenantOf(client)}/datasets/{Uri.EscapeDataString(p.GetValue(name)!)}/lake", ct);
            if (!session.Json)
            {
                session.Ui.MarkupLine($"[bold]{PlatformClient.Text(body, "files")}[/] files, {PlatformClient.Text(body, "bytes")} bytes, below [bold]{PlatformClient.Text(body, "prefix").EscapeMarkup()}[/]");
            }

            return TenantCommands.Listing(session, body, "partitions", ("partition", "partition"), ("bytes", "bytes"));
        });

        var queried = new Argument<string>("dataset") { Description = "The dataset's name; in the SQL it is the table (quoted when it has '-' or '.')." };
        var sql = new Argument<string>("sql") { Description = "One SELECT over the dataset." };
        var limit = new Option<int?>("--limit") { Description = "At most this many rows (1 to 10,000; 1,000 by default)." };
        var query = new Command("query", "Run one read-only SELECT over the dataset's lake files.") { queried, sql, limit };
        query.Does(sessionOf, async (p, session, ct) =>
        {
            using var client = session.Connect();
            var request = JsonSerializer.Serialize(new { sql = p.GetValue(sql), limit = p.GetValue(limit) });
            var body = await client.PostAsync($"tenants/{session.TenantOf(client)}/datasets/{Uri.EscapeDataString(p.GetValue(queried)!)}/query",
                () => new StringContent(request, Encoding.UTF8, "application/json"), ct);
            if (session.Json)
            {
                session.WriteJson(body);
                return ExitCodes.Succeeded;
            }

            var table = new Table().AddColumns(body.GetProperty("columns").EnumerateArray().Select(c => new TableColumn(c.GetProperty("name").GetString()!.EscapeMarkup())).ToArray());
            foreach (var row in body.GetProperty("rows").EnumerateArray())
            {
                table.AddRow(row.EnumerateArray().Select(v => (v.ValueKind == JsonValueKind.String ? v.GetString()! : v.ValueKind == JsonValueKind.Null ? "" : v.GetRawText()).EscapeMarkup()).ToArray());
            }

            session.Ui.Write(table);
            session.Ui.MarkupLine($"[grey]{PlatformClient.Text(body, "row_count")} rows in {PlatformClient.Text(body, "elapsed_ms")} ms{(body.GetProperty("truncated").GetBoolean() ? ", more were cut (--limit)" : "")}.[/]");
            return ExitCodes.Succeeded;
        });

        lake.Subcommands.Add(list);
        lake.Subcommands.Add(query);
        return lake;
    }

    /// <summary><c>truncate</c>: every row of the dataset, with <c>--yes</c>.</summary>
    public static Command Truncate(Func<ParseResult, Session> sessionOf)
    {
        var dataset = new Option<string>("--dataset", "-d") { Description = "The dataset.", Required = true };
        var yes = new Option<bool>("--yes") { Description = "Confirm: every row of the dataset is deleted (its quarantine stays)." };
        var command = new Command("truncate", "Delete every row of the dataset (needs --yes).") { dataset, yes };
        command.Does(sessionOf, async (p, session, ct) =>
        {
            if (!p.GetValue(yes))
            {
                throw new CliException(ExitCodes.Usage, $"this deletes every row of '{p.GetValue(dataset)}': add --yes to do it");
            }

            using var client = session.Connect();
            var emptied = await client.PostAsync($"tenants/{session.TenantOf(client)}/datasets/{Uri.EscapeDataString(p.GetValue(dataset)!)}/truncate", null, ct);
            return TenantCommands.Done(session, emptied, $"Table [bold]{PlatformClient.Text(emptied, "table").EscapeMarkup()}[/] emptied (datasets reading it: {PlatformClient.Text(emptied, "datasets_of_the_table").EscapeMarkup()}).");
        });
        return command;
    }

    /// <summary><c>replay</c>: quarantined rows read again under the dataset's current rules.</summary>
    public static Command Replay(Func<ParseResult, Session> sessionOf)
    {
        var dataset = new Option<string>("--dataset", "-d") { Description = "The dataset.", Required = true };
        var fileId = new Option<string?>("--file-id") { Description = "Only this file's (or events request's) rows." };
        var since = new Option<string?>("--since") { Description = "Only rows quarantined at or after this ISO 8601 time." };
        var until = new Option<string?>("--until") { Description = "Only rows quarantined before this ISO 8601 time." };
        var command = new Command("replay", "Read quarantined rows again after fixing the cause: those that pass load and leave the quarantine.") { dataset, fileId, since, until };
        command.Does(sessionOf, async (p, session, ct) =>
        {
            var filters = new Dictionary<string, string>();
            foreach (var (key, value) in new[] { ("file_id", p.GetValue(fileId)), ("since", p.GetValue(since)), ("until", p.GetValue(until)) })
            {
                if (value is not null)
                {
                    filters[key] = value;
                }
            }

            using var client = session.Connect();
            var result = await client.PostAsync($"tenants/{session.TenantOf(client)}/datasets/{Uri.EscapeDataString(p.GetValue(dataset)!)}/quarantine/replay",
                () => new StringContent(JsonSerializer.Serialize(filters), Encoding.UTF8, "application/json"), ct);
            if (!session.Json)
            {
                session.Ui.MarkupLine($"Replayed {PlatformClient.Text(result, "replayed")}: [green]{PlatformClient.Text(result, "loaded")} loaded[/], " +
                    $"{PlatformClient.Text(result, "still_quarantined")} still quarantined, {PlatformClient.Text(result, "not_replayable")} not replayable.");
            }

            return TenantCommands.Listing(session, result, "sources", ("source", "file_id"), ("format", "format"), ("replayed", "replayed"), ("loaded", "loaded"),
                ("still quarantined", "still_quarantined"), ("not replayable", "not_replayable"));
        });
        return command;
    }
}
