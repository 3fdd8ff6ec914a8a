namespace Platform.Api.Problems;

/// <summary>The <c>?limit=</c> of a listing: a whole number from 1 to the listing's maximum.</summary>
public static class QueryLimit
{
    /// <summary>The limit asked for, or <paramref name="fallback"/> without one; the error when it is not a whole number in range.</summary>
    public static (int Limit, FieldError? Error) Parse(IQueryCollection query, int fallback, int max)
    {
        var text = query["limit"].FirstOrDefault();
        if (text is null)
        {
            return (fallback, null);
        }

        return int.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out var limit) && limit >= 1 && limit <= max
            ? (limit, null)
            : (0, new FieldError("limit", "range", $"'{text}' is not a whole number from 1 to {max}"));
    }
}
