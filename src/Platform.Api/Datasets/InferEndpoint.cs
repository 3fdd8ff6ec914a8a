using System.Text.Json.Nodes;
using Catalog.Datasets;
using Ingestion.Inference;
using Microsoft.AspNetCore.Http.HttpResults;
using Mysimbdp.Avro;
using Platform.Api.Auth;
using Platform.Api.Docs;
using Platform.Api.Problems;

namespace Platform.Api.Datasets;

/// <summary>A proposed data configuration: <c>configuration</c> to edit and PUT, and what each field rests on.</summary>
public sealed record InferenceView(JsonObject Configuration, IReadOnlyList<InferredField> Fields, long RowsSampled, IReadOnlyList<string> Notes);

/// <summary>
/// <c>POST /tenants/{tenant}/datasets/infer</c>: a sample file (multipart <c>file</c>; the first
/// <see cref="SampleBytes"/> are read) in, a data configuration proposed from it out (<see cref="SchemaInference"/>).
/// Nothing is registered or stored.
/// </summary>
public static class InferEndpoint
{
    public const int SampleBytes = 16 << 20;

    public static void MapInfer(this IEndpointRouteBuilder app) =>
        app.MapGroup("/tenants/{tenant}/datasets").ForTenant().WithTags("Datasets").MapPost("/infer", Infer).DisableAntiforgery()
            .WithSummary("Propose a data configuration from a sample file (multipart 'file'; ?name=&key_space=&file_type=): types, nullability, a key; nothing is registered.")
            .Body<Files.FileForm>("multipart/form-data").Problems(415)
            .Query(("name", "The dataset's name (default: the file's name)."), ("key_space", "The key space (default 'main')."),
                ("file_type", "csv, tsv or avro (default: from the file's name, else its content)."));

    public static async Task<Results<Ok<InferenceView>, ProblemHttpResult>> Infer(HttpRequest request, CancellationToken ct)
    {
        if (Files.UploadReceiver.MultipartOf(request) is not { } reader)
        {
            return Problem.UnsupportedMediaType("Send the sample as multipart/form-data in a field named 'file' (curl -F 'file=@sample.csv').");
        }

        string? fileName = null;
        using var sample = new MemoryStream();
        for (var section = await reader.ReadNextSectionAsync(ct); section is not null; section = await reader.ReadNextSectionAsync(ct))
        {
            if (fileName is null && Files.UploadReceiver.IsFileField(section, out var given))
            {
                fileName = given ?? "sample";
                var buffer = new byte[81920];
                int read;
                while (sample.Length < SampleBytes && (read = await section.Body.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, SampleBytes - sample.Length)), ct)) > 0)
                {
                    sample.Write(buffer, 0, read);
                }
            }

            // The rest of a large sample is not needed: the section is drained by the next read.
        }

        var q = request.Query;
        var errors = new List<FieldError>();
        if (fileName is null || sample.Length == 0)
        {
            errors.Add(new FieldError("file", "required", "is required: a multipart field named 'file' with a sample of the data"));
        }

        var name = q["name"].FirstOrDefault() ?? DatasetNameFrom(fileName ?? "");
        if (!DataConfigurationValidator.DatasetName().IsMatch(name))
        {
            errors.Add(new FieldError("name", "identifier", $"'{name}' is not a dataset name: {DataConfigurationValidator.DatasetNameRule}"));
        }

        var keySpace = q["key_space"].FirstOrDefault() ?? "main";
        if (!Coredms.KeyspaceNames.IsValidIdentifier(keySpace))
        {
            errors.Add(new FieldError("key_space", "identifier", $"'{keySpace}' is not a valid Cassandra identifier"));
        }

        var type = q["file_type"].FirstOrDefault() ?? TypeOf(fileName ?? "", sample);
        if (!Enum.TryParse<FileType>(type, ignoreCase: true, out var fileType) || !DataConfigurationValidator.FileTypes.Contains(type))
        {
            errors.Add(new FieldError("file_type", "one_of", $"'{type}' is not one of {string.Join(", ", DataConfigurationValidator.FileTypes)}"));
        }

        if (errors.Count > 0)
        {
            return Problem.Validation("sample", errors);
        }

        sample.Position = 0;
        try
        {
            var inference = fileType == FileType.Avro
                ? SchemaInference.FromAvro(sample, name, keySpace)
                : SchemaInference.FromDelimited(sample, fileType, name, keySpace);
            return TypedResults.Ok(new InferenceView(inference.Configuration, inference.Fields, inference.RowsSampled, inference.Notes));
        }
        catch (Exception e) when (e is InvalidDataException or AvroDataException or SchemaParseException or EndOfStreamException)
        {
            return Problem.Validation("sample", [new FieldError("file", "readable", $"cannot be read as {type}: {e.Message}")]);
        }
    }

    /// <summary>The file's name without its extension, made into a dataset name.</summary>
    private static string DatasetNameFrom(string fileName)
    {
        var stem = Path.GetFileNameWithoutExtension(Path.GetFileName(fileName));
        var name = new string(stem.Select(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.' ? c : '_').ToArray()).Trim('_', '-', '.');
        return name.Length == 0 ? "inferred" : name.Length > 64 ? name[..64] : name;
    }

    /// <summary>From the extension; else Avro by its magic bytes, TSV when the first line has more tabs than commas, else CSV.</summary>
    private static string TypeOf(string fileName, MemoryStream sample)
    {
        var extension = Path.GetExtension(fileName).TrimStart('.').ToLowerInvariant();
        if (extension is "csv" or "tsv" or "avro")
        {
            return extension;
        }

        var head = sample.GetBuffer().AsSpan(0, (int)Math.Min(sample.Length, 64 * 1024));
        if (head.StartsWith("Obj\u0001"u8))
        {
            return "avro";
        }

        var line = head.IndexOfAny((byte)'\n', (byte)'\r') is var end and >= 0 ? head[..end] : head;
        return line.Count((byte)'\t') > line.Count((byte)',') ? "tsv" : "csv";
    }
}
