using Microsoft.AspNetCore.Authorization;
using Microsoft.OpenApi;
using Scalar.AspNetCore;

namespace Platform.Api.Docs;

/// <summary>
/// The API's description: the OpenAPI document at <c>/openapi/v1.json</c>, with the bearer scheme that every route
/// but the anonymous ones requires, and a browsable reference of it at <c>/docs</c> (Scalar, served from the package,
/// no outside calls).
/// </summary>
public static class ApiDocs
{
    private const string Bearer = "bearer";

    public static IServiceCollection AddApiDocs(this IServiceCollection services) => services.AddOpenApi(options =>
    {
        options.AddDocumentTransformer((document, _, _) =>
        {
            document.Info.Title = "mysimbdp";
            document.Info.Description = "Multi-tenant data ingestion: tenants register datasets and agreements, upload files, post events and read their rows. " +
                "Get a token from POST /auth/token (client credentials) and send it as 'Authorization: Bearer <token>'. Errors are problem+json.";
            document.Components ??= new OpenApiComponents();
            document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
            document.Components.SecuritySchemes[Bearer] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "bearer",
                BearerFormat = "JWT",
                Description = "A token from POST /auth/token: a tenant's (its own routes) or the admin's (every route).",
            };
            document.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(Bearer, document)] = [] }];
            return Task.CompletedTask;
        });
        options.AddOperationTransformer((operation, context, _) =>
        {
            if (context.Description.ActionDescriptor.EndpointMetadata.OfType<IAllowAnonymous>().Any())
            {
                operation.Security = []; // overrides the document's requirement
            }

            return Task.CompletedTask;
        });
    });

    public static void MapApiDocs(this WebApplication app)
    {
        app.MapOpenApi().AllowAnonymous();
        app.MapScalarApiReference("/docs", options => options.WithTitle("mysimbdp API").DisableDefaultFonts().WithOpenApiRoutePattern("/openapi/{documentName}.json")).AllowAnonymous();
    }
}
