using FluentValidation.Results;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Platform.Api.Problems;

/// <summary>One validation error in a problem+json body: the field's JSON path, the rule it breaks, and why.</summary>
public sealed record FieldError(string Field, string Rule, string Message);

/// <summary>
/// problem+json (RFC 9457) responses. The <c>type</c> is a URN per kind of problem; validation problems
/// carry an <c>errors</c> list with every offending field.
/// </summary>
public static class Problem
{
    public static ProblemHttpResult Of(int status, string kind, string title, string detail, IDictionary<string, object?>? extensions = null) =>
        TypedResults.Problem(detail: detail, statusCode: status, title: title, type: "urn:mysimbdp:problem:" + kind, extensions: extensions);

    public static ProblemHttpResult Validation(string what, IEnumerable<ValidationFailure> failures) =>
        Validation(what, failures.Select(f => new FieldError(f.PropertyName, f.ErrorCode, f.ErrorMessage)));

    public static ProblemHttpResult Validation(string what, IEnumerable<FieldError> errors)
    {
        var list = errors.ToList();
        return Of(StatusCodes.Status400BadRequest, "validation", $"The {what} is invalid",
            string.Join("; ", list.Select(e => $"{e.Field}: {e.Message}")),
            new Dictionary<string, object?> { ["errors"] = list });
    }

    public static ProblemHttpResult NotFound(string detail) => Of(StatusCodes.Status404NotFound, "not-found", "Not found", detail);

    public static ProblemHttpResult Conflict(string detail) => Of(StatusCodes.Status409Conflict, "conflict", "Conflict", detail);

    public static ProblemHttpResult Forbidden(string detail) => Of(StatusCodes.Status403Forbidden, "forbidden", "Forbidden", detail);

    public static ProblemHttpResult TooLarge(string detail, IDictionary<string, object?>? extensions = null) =>
        Of(StatusCodes.Status413PayloadTooLarge, "too-large", "Payload too large", detail, extensions);

    public static ProblemHttpResult UnsupportedMediaType(string detail) =>
        Of(StatusCodes.Status415UnsupportedMediaType, "unsupported-media-type", "Unsupported media type", detail);

    /// <summary>409 for what a paused dataset does not take now, naming its state, since when and why.</summary>
    public static ProblemHttpResult Paused(Catalog.Datasets.Dataset dataset, string consequence) =>
        Of(StatusCodes.Status409Conflict, "dataset-paused", "Dataset paused",
            $"Dataset '{dataset.Name}' is paused ({dataset.Pause!.Reason}, since {dataset.Pause.At:u}): {consequence}. POST .../datasets/{dataset.Name}/resume to resume it.",
            new Dictionary<string, object?> { ["state"] = "paused", ["paused_at"] = dataset.Pause.At, ["reason"] = dataset.Pause.Reason });

    public static ProblemHttpResult BadRequest(string detail) => Of(StatusCodes.Status400BadRequest, "bad-request", "Bad request", detail);
}
