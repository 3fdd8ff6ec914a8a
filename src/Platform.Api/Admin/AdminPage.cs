namespace Platform.Api.Admin;

/// <summary>
/// The admin page at <c>/admin</c>: one static HTML file with plain JavaScript, embedded in the assembly. It
/// signs in with the admin secret (POST /auth/token), keeps the token for the browser tab only, and reads the
/// admin API: tenants with their files by status and last failures, recent files and runs, the ingestion log.
/// </summary>
public static class AdminPage
{
    private static readonly Lazy<byte[]> Html = new(() =>
    {
        using var stream = typeof(AdminPage).Assembly.GetManifestResourceStream("Platform.Api.Admin.admin.html")
            ?? throw new InvalidOperationException("The admin page is not embedded in the assembly.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    });

    public static void MapAdminPage(this IEndpointRouteBuilder app) =>
        app.MapGet("/admin", (HttpContext http) =>
        {
            http.Response.Headers.ContentSecurityPolicy = "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'";
            http.Response.Headers.XFrameOptions = "DENY";
            return Results.Bytes(Html.Value, "text/html; charset=utf-8");
        }).AllowAnonymous().ExcludeFromDescription();
}
