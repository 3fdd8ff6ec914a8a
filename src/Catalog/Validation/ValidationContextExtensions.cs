using FluentValidation;
using FluentValidation.Results;

namespace Catalog.Validation;

public static class ValidationContextExtensions
{
    /// <summary>Adds a failure for a JSON path with the rule it breaks.</summary>
    public static void Fail<T>(this ValidationContext<T> context, string path, string rule, string message) =>
        context.AddFailure(new ValidationFailure(path, message) { ErrorCode = rule });
}
