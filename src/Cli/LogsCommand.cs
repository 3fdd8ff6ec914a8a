using System.CommandLine;
using System.Text.Json;
using Spectre.Console;

namespace Mysimbdp.Cli;

/// <summary><c>logs</c>: the tenant's ingestion log, oldest of the page first; <c>--follow</c> keeps printing new events.</summary>
public static class LogsCommand
{
    public static Command Create(Func<ParseResult, Session> sessionOf)
    {
        var dataset = new Option<string?>("--dataset", "-d") { Description = "Only this dataset's events." };
        var level = new Option<string?>("--level") { Description = "This level and above: trace, debug, info, warn, error, fatal." };
        var action = new Option<string?>("--action") { Description = "Only this action (file.loaded, run.finished, upload.refused...)." };
        var since = new Option<string?>("--since") { Description = "Events at or after this ISO 8601 time." };
        var text = new Option<string?>("--q") { Description = "Events whose message contains this text." };
        var limit = new Option<int?>("--limit") { Description = "At most this many events (100 by default)." };
        var follow = new Option<bool>("--follow", "-f") { Description = "Keep printing new events (every second) until Ctrl-C." };
        var command = new Command("logs", "The tenant's ingestion log events.") { dataset, level, action, since, text, limit, follow };
        command.Does(sessionOf, async (p, session, ct) =>
        {
            using var client = session.Connect();
            var tenant = session.TenantOf(client);
            string Path(string? from, string? before = null) => $"tenants/{tenant}/logs" + TenantCommands.Query(("dataset", p.GetValue(dataset)),
                ("level", p.GetValue(level)), ("action", p.GetValue(action)), ("since", from), ("q", p.GetValue(text)), ("limit", p.GetValue(limit)?.ToString()),
                ("before", before));

            var first = await client.GetAsync(Path(p.GetValue(since)), ct);
            var events = first.GetProperty("events").EnumerateArray().Reverse().ToList();
            if (!p.GetValue(follow))
            {
                if (session.Json)
                {
                    session.WriteJson(first);
                }
                else
                {
                    Print(session, events);
                }

                return ExitCodes.Succeeded;
            }

            // Following: each poll asks for the events since the newest printed (inclusive, so events of that same
            // millisecond are not missed), pages back while a page holds nothing printed yet, and prints the new ones
            // oldest first. Printed ids are kept only for the newest instant, the only ones a poll returns again.
            var printed = new Dictionary<string, DateTimeOffset>();
            var newest = p.GetValue(since);
            while (true)
            {
                foreach (var e in events)
                {
                    var at = e.GetProperty("timestamp").GetDateTimeOffset();
                    printed[PlatformClient.Text(e, "event_id")] = at;
                    newest = PlatformClient.Text(e, "timestamp");
                }

                Print(session, events, lines: true);
                if (events.Count > 0)
                {
                    var last = events[^1].GetProperty("timestamp").GetDateTimeOffset();
                    foreach (var old in printed.Where(x => x.Value < last).Select(x => x.Key).ToList())
                    {
                        printed.Remove(old);
                    }
                }

                await Task.Delay(1000, ct);
                events = [];
                for (string? before = null; ;)
                {
                    var page = await client.GetAsync(Path(newest, before), ct);
                    var all = page.GetProperty("events").EnumerateArray().ToList();
                    var fresh = all.TakeWhile(e => !printed.ContainsKey(PlatformClient.Text(e, "event_id"))).ToList();
                    events.AddRange(fresh);
                    if (fresh.Count < all.Count || PlatformClient.Text(page, "next") is not { Length: > 0 } next)
                    {
                        break;
                    }

                    before = next;
                }

                events.Reverse();
            }
        });
        return command;
    }

    private static void Print(Session session, IEnumerable<JsonElement> events, bool lines = false)
    {
        foreach (var e in events)
        {
            if (session.Json)
            {
                if (lines)
                {
                    session.WriteJsonLine(e);
                }
                else
                {
                    session.WriteJson(e);
                }

                continue;
            }

            var level = PlatformClient.Text(e, "level");
            var colour = level switch { "error" or "fatal" => "red", "warn" => "yellow", _ => "grey" };
            // The message starts with the action and names the tenant, dataset and file.
            session.Ui.MarkupLine($"[grey]{PlatformClient.Text(e, "timestamp").EscapeMarkup()}[/] [{colour}]{level,-5}[/] {PlatformClient.Text(e, "message").EscapeMarkup()}");
        }
    }
}
