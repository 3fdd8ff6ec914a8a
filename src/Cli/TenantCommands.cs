using System.CommandLine;
using System.Text.Json;
using Spectre.Console;

namespace Mysimbdp.Cli;

/// <summary>The commands that register configurations and read what the platform holds for a tenant.</summary>
public static class TenantCommands
{
    private static Option<string> DatasetOption(bool required) => new("--dataset", "-d") { Description = "The dataset's name.", Required = required };

    private static Option<int?> LimitOption() => new("--limit") { Description = "At most this many (the platform's default otherwise)." };

    private static Option<FileInfo> FileOption() => new("--file", "-f") { Description = "The JSON document to register.", Required = true };

    public static Command Datasets(Func<ParseResult, Session> sessionOf)
    {
        var file = FileOption();
        var name = new Option<string?>("--name") { Description = "The dataset's name (default: the document's \"name\")." };
        var apply = new Command("apply", "Register or replace a data configuration from a JSON file (the seed's format).") { file, name };
        apply.Does(sessionOf, async (p, session, ct) =>
        {
            var text = await ReadDocumentAsync(p.GetValue(file)!, ct);
            var dataset = p.GetValue(name) ?? NameIn(text) ?? throw new CliException(ExitCodes.Usage, "the document has no \"name\": pass --name");
            using var client = session.Connect();
            var registered = await client.PutJsonAsync($"tenants/{session.TenantOf(client)}/datasets/{Uri.EscapeDataString(dataset)}", text, ct);
            return Done(session, registered, $"Dataset [bold]{dataset.EscapeMarkup()}[/] registered.");
        });

        var list = new Command("list", "The tenant's datasets, with the keyspace and table each maps to.");
        list.Does(sessionOf, async (_, session, ct) =>
        {
            using var client = session.Connect();
            var body = await client.GetAsync($"tenants/{session.TenantOf(client)}/datasets", ct);
            return Listing(session, body, "datasets", ("name", "name"), ("mode", "ingestion_mode"), ("key space", "key_space"),
                ("keyspace", "physical_keyspace"), ("table", "table"), ("primary key", "primary_key"), ("state", "status.state"));
        });

        var datasetName = new Argument<string>("name") { Description = "The dataset's name." };
        var get = new Command("get", "A data configuration as registered (JSON).") { datasetName };
        get.Does(sessionOf, async (p, session, ct) =>
        {
            using var client = session.Connect();
            session.WriteJson(await client.GetAsync($"tenants/{session.TenantOf(client)}/datasets/{Uri.EscapeDataString(p.GetValue(datasetName)!)}", ct));
            return ExitCodes.Succeeded;
        });

        return new Command("datasets", "Register and read data configurations.") { apply, list, get, DataCommands.Infer(sessionOf), DataCommands.Schemas(sessionOf),
            DataCommands.Pausing(sessionOf, "pause"), DataCommands.Pausing(sessionOf, "resume") };
    }

    /// <summary><c>connections apply NAME -f FILE</c>, <c>list</c>, and <c>schema NAME --table T</c> (a data configuration proposed from a table).</summary>
    public static Command Connections(Func<ParseResult, Session> sessionOf)
    {
        var file = FileOption();
        var connectionName = new Argument<string>("name") { Description = "The connection's name." };
        var apply = new Command("apply", "Register or replace a PostgreSQL connection from a JSON file (checked by the platform; the password is never shown again).") { connectionName, file };
        apply.Does(sessionOf, async (p, session, ct) =>
        {
            var text = await ReadDocumentAsync(p.GetValue(file)!, ct);
            using var client = session.Connect();
            var registered = await client.PutJsonAsync($"tenants/{session.TenantOf(client)}/connections/{Uri.EscapeDataString(p.GetValue(connectionName)!)}", text, ct);
            return Done(session, registered, $"Connection [bold]{p.GetValue(connectionName)!.EscapeMarkup()}[/] registered.");
        });

        var list = new Command("list", "The tenant's connections (never their passwords).");
        list.Does(sessionOf, async (_, session, ct) =>
        {
            using var client = session.Connect();
            var body = await client.GetAsync($"tenants/{session.TenantOf(client)}/connections", ct);
            return Listing(session, body, "connections", ("name", "name"), ("host", "host"), ("port", "port"), ("database", "database"), ("user", "user"),
                ("password set", "password_set"));
        });

        var table = new Option<string>("--table") { Description = "The table, as schema.table.", Required = true };
        var schema = new Command("schema", "A data configuration proposed from a table, to edit and apply with 'datasets apply -f'.") { connectionName, table };
        schema.Does(sessionOf, async (p, session, ct) =>
        {
            using var client = session.Connect();
            session.WriteJson(await client.GetAsync(
                $"tenants/{session.TenantOf(client)}/connections/{Uri.EscapeDataString(p.GetValue(connectionName)!)}/schema?table={Uri.EscapeDataString(p.GetValue(table)!)}", ct));
            return ExitCodes.Succeeded;
        });

        return new Command("connections", "Databases the platform captures changes from.") { apply, list, schema };
    }

    public static Command Agreement(Func<ParseResult, Session> sessionOf)
    {
        var file = FileOption();
        var apply = new Command("apply", "Register or replace the service agreement from a JSON file (the seed's format).") { file };
        apply.Does(sessionOf, async (p, session, ct) =>
        {
            var text = await ReadDocumentAsync(p.GetValue(file)!, ct);
            using var client = session.Connect();
            var registered = await client.PutJsonAsync($"tenants/{session.TenantOf(client)}/agreement", text, ct);
            return Done(session, registered, "Service agreement registered.");
        });

        var get = new Command("get", "The service agreement as registered (JSON).");
        get.Does(sessionOf, async (_, session, ct) =>
        {
            using var client = session.Connect();
            session.WriteJson(await client.GetAsync($"tenants/{session.TenantOf(client)}/agreement", ct));
            return ExitCodes.Succeeded;
        });

        return new Command("agreement", "Register and read the service agreement.") { apply, get };
    }

    public static Command Files(Func<ParseResult, Session> sessionOf)
    {
        var dataset = DatasetOption(required: false);
        var fileId = new Argument<string?>("file_id") { Description = "One file (all of them when left out).", Arity = ArgumentArity.ZeroOrOne };
        var command = new Command("files", "The tenant's files with their status and counts, newest first.") { dataset, fileId };
        command.Does(sessionOf, async (p, session, ct) =>
        {
            using var client = session.Connect();
            var tenant = session.TenantOf(client);
            if (p.GetValue(fileId) is { } id)
            {
                session.WriteJson(await client.GetAsync($"tenants/{tenant}/files/{Uri.EscapeDataString(id)}", ct));
                return ExitCodes.Succeeded;
            }

            var query = p.GetValue(dataset) is { } d ? $"?dataset={Uri.EscapeDataString(d)}" : "";
            var body = await client.GetAsync($"tenants/{tenant}/files{query}", ct);
            return Listing(session, body, "files", ("file", "file_id"), ("dataset", "dataset"), ("name", "name"), ("status", "status"), ("loaded", "rows_loaded"),
                ("quarantined", "rows_quarantined"), ("received", "received_at"), ("error", "error"));
        });
        return command;
    }

    public static Command Runs(Func<ParseResult, Session> sessionOf)
    {
        var runId = new Argument<string?>("run_id") { Description = "One run with each file's outcome (all runs when left out).", Arity = ArgumentArity.ZeroOrOne };
        var command = new Command("runs", "The tenant's batch runs, newest first.") { runId };
        command.Does(sessionOf, async (p, session, ct) =>
        {
            using var client = session.Connect();
            var tenant = session.TenantOf(client);
            if (p.GetValue(runId) is { } id)
            {
                var run = await client.GetAsync($"tenants/{tenant}/runs/{Uri.EscapeDataString(id)}", ct);
                if (session.Json)
                {
                    session.WriteJson(run);
                }
                else
                {
                    IngestCommand.Summarize(session.Ui, run);
                }

                return ExitCodes.Succeeded;
            }

            var body = await client.GetAsync($"tenants/{tenant}/runs", ct);
            return Listing(session, body, "runs", ("run", "run_id"), ("dataset", "dataset"), ("trigger", "trigger"), ("status", "status"), ("files", "files"),
                ("loaded", "rows_loaded"), ("quarantined", "rows_quarantined"), ("finished", "finished_at"));
        });
        return command;
    }

    public static Command Quarantine(Func<ParseResult, Session> sessionOf)
    {
        var dataset = DatasetOption(required: true);
        var fileId = new Option<string?>("--file-id") { Description = "Only this file's rows." };
        var limit = LimitOption();
        var command = new Command("quarantine", "Rows that did not load, with file, line, column, rule, reason and the raw line.") { dataset, fileId, limit };
        command.Does(sessionOf, async (p, session, ct) =>
        {
            using var client = session.Connect();
            var query = Query(("file_id", p.GetValue(fileId)), ("limit", p.GetValue(limit)?.ToString()));
            var body = await client.GetAsync($"tenants/{session.TenantOf(client)}/datasets/{Uri.EscapeDataString(p.GetValue(dataset)!)}/quarantine{query}", ct);
            return Listing(session, body, "rows", ("file", "file_id"), ("line", "line"), ("column", "column"), ("rule", "rule"), ("reason", "reason"), ("raw", "raw"));
        });
        return command;
    }

    public static Command Rows(Func<ParseResult, Session> sessionOf)
    {
        var dataset = DatasetOption(required: true);
        var keys = new Option<string[]>("--key", "-k")
        {
            Description = "A leading primary key field and its value, field=value (repeatable).",
            AllowMultipleArgumentsPerToken = false,
        };
        var limit = LimitOption();
        var command = new Command("rows", "Typed rows, by leading primary key fields.") { dataset, keys, limit };
        command.Does(sessionOf, async (p, session, ct) =>
        {
            var pairs = KeyValues(p.GetValue(keys) ?? []).Select(k => (k.Field, (string?)k.Value)).ToList();
            pairs.Add(("limit", p.GetValue(limit)?.ToString()));
            using var client = session.Connect();
            var body = await client.GetAsync($"tenants/{session.TenantOf(client)}/datasets/{Uri.EscapeDataString(p.GetValue(dataset)!)}/rows{Query([.. pairs])}", ct);
            var rows = body.GetProperty("rows");
            var columns = rows.GetArrayLength() == 0 ? [] : rows[0].EnumerateObject().Select(f => (f.Name, f.Name)).ToArray();
            return Listing(session, body, "rows", columns);
        });
        return command;
    }

    public static Command Usage(Func<ParseResult, Session> sessionOf)
    {
        var command = new Command("usage", "Usage against each quota of the agreement.");
        command.Does(sessionOf, async (_, session, ct) =>
        {
            using var client = session.Connect();
            var body = await client.GetAsync($"tenants/{session.TenantOf(client)}/usage", ct);
            if (session.Json)
            {
                session.WriteJson(body);
                return ExitCodes.Succeeded;
            }

            var table = new Table().AddColumns("quota", "used", "limit");
            foreach (var quota in body.GetProperty("quotas").EnumerateObject())
            {
                var limit = PlatformClient.Text(quota.Value, "limit");
                table.AddRow(quota.Name.EscapeMarkup(), PlatformClient.Text(quota.Value, "used"), limit.Length == 0 ? "no limit" : limit);
            }

            session.Ui.Write(table);
            session.Ui.WriteLine($"storage {PlatformClient.Text(body, "storage_bytes")} bytes, staged {PlatformClient.Text(body, "staged_bytes")} bytes");
            return ExitCodes.Succeeded;
        });
        return command;
    }

    /// <summary>A listing as JSON, or the array under <paramref name="property"/> as a table of the columns named.</summary>
    public static int Listing(Session session, JsonElement body, string property, params (string Header, string Field)[] columns)
    {
        if (session.Json)
        {
            session.WriteJson(body);
            return ExitCodes.Succeeded;
        }

        var items = body.GetProperty(property);
        if (items.GetArrayLength() == 0)
        {
            session.Ui.MarkupLine($"[grey]No {property}.[/]");
            return ExitCodes.Succeeded;
        }

        var table = new Table().AddColumns(columns.Select(c => new TableColumn(c.Header)).ToArray());
        foreach (var item in items.EnumerateArray())
        {
            table.AddRow(columns.Select(c => Cell(PlatformClient.Text(item, c.Field)).EscapeMarkup()).ToArray());
        }

        session.Ui.Write(table);
        if (body.TryGetProperty("paging_state", out var next) && next.ValueKind == JsonValueKind.String || body.TryGetProperty("next", out next) && next.ValueKind == JsonValueKind.String)
        {
            session.Ui.MarkupLine("[grey]More follow: use --json to page.[/]");
        }

        return ExitCodes.Succeeded;
    }

    /// <summary>Times (the platform's ISO 8601 with offset) shortened to the second in UTC; other values as they are.</summary>
    private static string Cell(string text) =>
        text.Length >= 20 && text[10] == 'T' && DateTimeOffset.TryParse(text, out var time) ? time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'") : text;

    /// <summary>A command's answer as JSON, or <paramref name="markup"/> saying what was done.</summary>
    public static int Done(Session session, JsonElement registered, string markup)
    {
        if (session.Json)
        {
            session.WriteJson(registered);
        }
        else
        {
            session.Ui.MarkupLine(markup);
        }

        return ExitCodes.Succeeded;
    }

    private static async Task<string> ReadDocumentAsync(FileInfo file, CancellationToken ct) =>
        file.Exists ? await File.ReadAllTextAsync(file.FullName, ct) : throw new CliException(ExitCodes.Usage, $"no file {file.FullName}");

    private static string? NameIn(string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            return document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String
                ? n.GetString()
                : null;
        }
        catch (JsonException)
        {
            // The platform names what is wrong with the document; without a name, --name is needed.
            return null;
        }
    }

    /// <summary>The <c>--key field=value</c> options as pairs; one without '=' is a usage error.</summary>
    public static List<(string Field, string Value)> KeyValues(IEnumerable<string> keys) =>
        keys.Select(key => key.IndexOf('=', StringComparison.Ordinal) is var at and > 0
            ? (key[..at], key[(at + 1)..])
            : throw new CliException(ExitCodes.Usage, $"--key '{key}' is not field=value")).ToList();

    public static string Query(params (string Name, string? Value)[] pairs)
    {
        var given = pairs.Where(p => p.Value is not null).Select(p => $"{Uri.EscapeDataString(p.Name)}={Uri.EscapeDataString(p.Value!)}").ToList();
        return given.Count == 0 ? "" : "?" + string.Join('&', given);
    }
}
