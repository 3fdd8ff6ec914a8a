using System.Text.Json;
using Catalog.Validation;
using FluentValidation;

namespace Catalog.Agreements;

/// <summary>The rules for a service agreement; every problem is reported with its JSON path and rule.</summary>
public sealed class ServiceAgreementValidator : AbstractValidator<ServiceAgreementDocument>
{
    /// <summary>Cassandra's TTL limit is 20 years; retention maps to TTL, so it cannot be longer.</summary>
    public const int MaxRetentionDays = 7300;

    public static readonly string[] QuotaNames = ["files_per_day", "rows_per_day", "storage_mb", "concurrent_runs", "events_per_second"];

    /// <param name="tenant">The tenant the agreement is for (from the URL); <c>client</c> must name it.</param>
    public ServiceAgreementValidator(string tenant)
    {
        RuleFor(x => x.Client).Custom((value, ctx) =>
        {
            if (!JsonValues.IsPresent(value))
            {
                ctx.Fail("client", Rules.Required, $"is required: the tenant id ('{tenant}')");
            }
            else if (JsonValues.GetString(value) != tenant)
            {
                ctx.Fail("client", Rules.Matches, $"{JsonValues.Describe(value)} does not match the tenant in the URL ('{tenant}')");
            }
        });

        RuleFor(x => x.RetentionDays).Custom((value, ctx) =>
        {
            if (!JsonValues.IsPresent(value))
            {
                ctx.Fail("data_retention_period_days", Rules.Required, "is required: how many days rows and files are kept");
            }
            else if (!JsonValues.TryGetInteger(value, out var days) || days < 1)
            {
                ctx.Fail("data_retention_period_days", Rules.PositiveInteger, $"{JsonValues.Describe(value)} is not a positive whole number of days (a number or a numeric string)");
            }
            else if (days > MaxRetentionDays)
            {
                ctx.Fail("data_retention_period_days", Rules.Range, $"{days} is over {MaxRetentionDays} days (20 years, Cassandra's TTL limit)");
            }
        });

        RuleFor(x => x.Schedule).Custom((value, ctx) =>
        {
            if (!JsonValues.IsPresent(value))
            {
                ctx.Fail("schedule", Rules.Required, "is required: a 5-field cron expression such as '*/15 * * * *'");
            }
            else if (!CronSchedule.TryParse(JsonValues.GetString(value), out _, out var error))
            {
                ctx.Fail("schedule", Rules.Cron, JsonValues.GetString(value) is null ? $"{JsonValues.Describe(value)} is not a cron expression string" : error);
            }
        });

        RuleFor(x => x.Resources).Custom((value, ctx) => ValidateResources(value, ctx));
        RuleFor(x => x.BatchApp).Custom((value, ctx) => ValidateApp("batch_app", value, ctx));
        RuleFor(x => x.StreamApp).Custom((value, ctx) => ValidateApp("stream_app", value, ctx));
        RuleFor(x => x.Quotas).Custom((value, ctx) => ValidateQuotas(value, ctx));
        RuleFor(x => x.Unknown).Custom((unknown, ctx) =>
        {
            foreach (var name in unknown?.Keys ?? Enumerable.Empty<string>())
            {
                ctx.Fail(name, Rules.UnknownProperty, "is not a service agreement property");
            }
        });
    }

    private static void ValidateResources(JsonElement? value, ValidationContext<ServiceAgreementDocument> ctx)
    {
        if (!JsonValues.IsPresent(value))
        {
            ctx.Fail("resources", Rules.Required, "is required: {\"requests\": {\"cpu\", \"memory\"}, \"limits\": {\"cpu\", \"memory\"}}");
            return;
        }

        if (value!.Value.ValueKind != JsonValueKind.Object)
        {
            ctx.Fail("resources", Rules.Type, "must be an object with 'requests' and 'limits'");
            return;
        }

        var parsed = new Dictionary<string, decimal>(StringComparer.Ordinal);
        foreach (var group in new[] { "requests", "limits" })
        {
            if (!value.Value.TryGetProperty(group, out var section) || section.ValueKind != JsonValueKind.Object)
            {
                ctx.Fail($"resources.{group}", Rules.Required, "is required: an object with 'cpu' and 'memory'");
                continue;
            }

            foreach (var resource in new[] { "cpu", "memory" })
            {
                var path = $"resources.{group}.{resource}";
                if (!section.TryGetProperty(resource, out var quantity))
                {
                    ctx.Fail(path, Rules.Required, resource == "cpu" ? "is required: cores ('1', '0.5') or millicores ('250m')" : "is required: bytes with a unit, such as '512Mi'");
                    continue;
                }

                var text = quantity.ValueKind switch
                {
                    JsonValueKind.String => quantity.GetString(),
                    JsonValueKind.Number => quantity.GetRawText(),
                    _ => null,
                };
                var ok = resource == "cpu"
                    ? KubernetesQuantity.TryParseCpu(text, out var amount, out var error)
                    : KubernetesQuantity.TryParseMemory(text, out amount, out error);
                if (ok)
                {
                    parsed[$"{group}.{resource}"] = amount;
                }
                else
                {
                    ctx.Fail(path, resource == "cpu" ? Rules.CpuQuantity : Rules.MemoryQuantity, text is null ? $"{JsonValues.Describe(quantity)} is not a quantity string" : error);
                }
            }

            foreach (var extra in section.EnumerateObject().Where(p => p.Name is not ("cpu" or "memory")))
            {
                ctx.Fail($"resources.{group}.{extra.Name}", Rules.UnknownProperty, "is not a resource the platform manages (cpu, memory)");
            }
        }

        foreach (var resource in new[] { "cpu", "memory" })
        {
            if (parsed.TryGetValue($"requests.{resource}", out var request) && parsed.TryGetValue($"limits.{resource}", out var limit) && request > limit)
            {
                ctx.Fail($"resources.requests.{resource}", Rules.RequestsWithinLimits,
                    $"the request ({Quantity(value.Value, "requests", resource)}) is more than the limit ({Quantity(value.Value, "limits", resource)}); requests must be within limits");
            }
        }
    }

    private static string Quantity(JsonElement resources, string group, string resource)
    {
        var q = resources.GetProperty(group).GetProperty(resource);
        return q.ValueKind == JsonValueKind.String ? q.GetString()! : q.GetRawText();
    }

    private static void ValidateApp(string path, JsonElement? value, ValidationContext<ServiceAgreementDocument> ctx)
    {
        if (!JsonValues.IsPresent(value))
        {
            return;
        }

        if (value!.Value.ValueKind != JsonValueKind.Object || !value.Value.TryGetProperty("name", out var name) || name.ValueKind != JsonValueKind.String
            || !Datasets.DataConfigurationValidator.DatasetName().IsMatch(name.GetString()!))
        {
            ctx.Fail(path, Rules.Type, "must be an object such as {\"name\": \"clientbatchingestapp\", \"timeout_seconds\": 600}; the name is an app the platform provides");
            return;
        }

        foreach (var property in value.Value.EnumerateObject())
        {
            if (property.Name == "timeout_seconds")
            {
                if (!JsonValues.TryGetInteger(property.Value, out var seconds) || seconds is < 1 or > 86_400)
                {
                    ctx.Fail($"{path}.timeout_seconds", Rules.Range, $"{JsonValues.Describe(property.Value)} is not a whole number of seconds from 1 to 86400");
                }
            }
            else if (property.Name != "name")
            {
                ctx.Fail($"{path}.{property.Name}", Rules.UnknownProperty, "is not an app setting (name, timeout_seconds)");
            }
        }
    }

    private static void ValidateQuotas(JsonElement? value, ValidationContext<ServiceAgreementDocument> ctx)
    {
        if (!JsonValues.IsPresent(value))
        {
            return;
        }

        if (value!.Value.ValueKind != JsonValueKind.Object)
        {
            ctx.Fail("quotas", Rules.Type, $"must be an object with any of {string.Join(", ", QuotaNames)}");
            return;
        }

        foreach (var quota in value.Value.EnumerateObject())
        {
            if (!QuotaNames.Contains(quota.Name))
            {
                ctx.Fail($"quotas.{quota.Name}", Rules.UnknownProperty, $"is not a quota ({string.Join(", ", QuotaNames)})");
            }
            else if (!JsonValues.TryGetInteger(quota.Value, out var limit) || limit < 1)
            {
                ctx.Fail($"quotas.{quota.Name}", Rules.PositiveInteger, $"{JsonValues.Describe(quota.Value)} is not a positive whole number");
            }
        }
    }
}
