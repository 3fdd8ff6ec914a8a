using System.Text.Json;
using Catalog.Validation;

namespace Catalog.Agreements;

/// <summary>A tenant app the platform runs for the agreement: its name and time limit.</summary>
public sealed record TenantApp(string Name, TimeSpan Timeout);

/// <summary>Per-tenant quotas; null means unlimited.</summary>
public sealed record Quotas(long? FilesPerDay, long? RowsPerDay, long? StorageMb, long? ConcurrentRuns, long? EventsPerSecond)
{
    public static readonly Quotas Unlimited = new(null, null, null, null, null);
}

/// <summary>Kubernetes-style resources: CPU in cores, memory in bytes.</summary>
public sealed record Resources(decimal RequestCpu, decimal RequestMemory, decimal LimitCpu, decimal LimitMemory,
    string RequestCpuText, string RequestMemoryText, string LimitCpuText, string LimitMemoryText);

/// <summary>A tenant's service agreement, resolved from a validated <see cref="ServiceAgreementDocument"/>.</summary>
public sealed class ServiceAgreement
{
    private ServiceAgreement(string tenant, JsonElement document)
    {
        Tenant = tenant;
        Document = document.Clone();
        var d = document.Deserialize<ServiceAgreementDocument>()!;
        JsonValues.TryGetInteger(d.RetentionDays, out var days);
        Retention = TimeSpan.FromDays(days);
        Schedule = Checked(CronSchedule.TryParse(JsonValues.GetString(d.Schedule), out var schedule, out _), schedule!, "schedule");
        var r = d.Resources!.Value;
        string Text(string group, string resource)
        {
            var q = r.GetProperty(group).GetProperty(resource);
            return q.ValueKind == JsonValueKind.String ? q.GetString()! : q.GetRawText();
        }

        decimal Cpu(string group) => Checked(KubernetesQuantity.TryParseCpu(Text(group, "cpu"), out var v, out _), v, group + ".cpu");
        decimal Memory(string group) => Checked(KubernetesQuantity.TryParseMemory(Text(group, "memory"), out var v, out _), v, group + ".memory");
        Resources = new Resources(Cpu("requests"), Memory("requests"), Cpu("limits"), Memory("limits"),
            Text("requests", "cpu"), Text("requests", "memory"), Text("limits", "cpu"), Text("limits", "memory"));
        BatchApp = App(d.BatchApp);
        StreamApp = App(d.StreamApp);
        Quotas = QuotasFrom(d.Quotas);
    }

    public string Tenant { get; }

    public JsonElement Document { get; }

    public TimeSpan Retention { get; }

    public CronSchedule Schedule { get; }

    public Resources Resources { get; }

    public TenantApp? BatchApp { get; }

    public TenantApp? StreamApp { get; }

    public Quotas Quotas { get; }

    public static ServiceAgreement From(string tenant, JsonElement document) => new(tenant, document);

    /// <summary>Agreements are built only from validated documents; anything else is a bug worth failing on.</summary>
    private static T Checked<T>(bool ok, T value, string what) =>
        ok ? value : throw new InvalidOperationException($"The stored agreement has an invalid {what}; it should have been validated.");

    private static TenantApp? App(JsonElement? app)
    {
        if (!JsonValues.IsPresent(app))
        {
            return null;
        }

        var timeout = app!.Value.TryGetProperty("timeout_seconds", out var t) && JsonValues.TryGetInteger(t, out var seconds) ? seconds : 600;
        return new TenantApp(app.Value.GetProperty("name").GetString()!, TimeSpan.FromSeconds(timeout));
    }

    private static Quotas QuotasFrom(JsonElement? quotas)
    {
        if (quotas is not { ValueKind: JsonValueKind.Object } q)
        {
            return Quotas.Unlimited;
        }

        long? Get(string name) => q.TryGetProperty(name, out var v) && JsonValues.TryGetInteger(v, out var n) ? n : null;
        return new Quotas(Get("files_per_day"), Get("rows_per_day"), Get("storage_mb"), Get("concurrent_runs"), Get("events_per_second"));
    }
}
