using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.OpenApi;
using Scalar.AspNetCore;

namespace Platform.Api.Docs;

/// <summary>
/// The API's description: the OpenAPI document at <c>/openapi/v1.json</c> and a browsable reference of it at
/// <c>/docs</c> (Scalar, served from the package, no outside calls). Endpoints declare their request bodies
/// (<see cref="Body"/>) and the problems only they answer (<see cref="Problems"/>); this class adds what every route
/// shares: the bearer scheme (required everywhere but on anonymous routes), the path parameters, and the problems
/// 400 (a body or query to check), 401 and 403 (a token to check) and 404 (a path naming something), each with the
/// one problem+json schema the platform answers with.
/// </summary>
public static partial class ApiDocs
{
    private const string Bearer = "bearer";
    private const string ProblemSchema = "Problem";

    /// <summary>A query parameter that the handler reads from the request itself (so the generator cannot see it).</summary>
    /// <param name="Name">Its name; <c>*</c> for the free-form ones (any key field).</param>
    /// <param name="Description">What it selects, as the reference shows it.</param>
    public sealed record QueryParameter(string Name, string Description);

    /// <summary>Declares query parameters that the handler reads from <c>Request.Query</c>.</summary>
    public static TBuilder Query<TBuilder>(this TBuilder builder, params (string Name, string Description)[] parameters) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata([.. parameters.Select(p => new QueryParameter(p.Name, p.Description))]);

    /// <summary>A request body that the handler reads itself, in one of <see cref="ContentTypes"/>.</summary>
    public sealed record RequestBody(Type Type, string[] ContentTypes);

    /// <summary>
    /// Declares the request body a handler reads from the request itself. Unlike <c>Accepts</c>, routing does not
    /// refuse other content types on its own, so the handler still answers them with its own problem (and log).
    /// </summary>
    public static RouteHandlerBuilder Body<T>(this RouteHandlerBuilder builder, params string[] contentTypes) =>
        builder.WithMetadata(new RequestBody(typeof(T), contentTypes));

    /// <summary>Declares problem answers that only this endpoint gives (409, 413, 415, 429, 503...); <see cref="Describe"/> gives each the Problem schema.</summary>
    public static RouteHandlerBuilder Problems(this RouteHandlerBuilder builder, params int[] statuses)
    {
        foreach (var status in statuses)
        {
            builder.Produces(status);
        }

        return builder;
    }

    /// <summary>Marks an endpoint whose answers carry the RateLimit fields of the tenant's events_per_second quota.</summary>
    public sealed record RateLimitFields;

    /// <summary>Declares that the answers from the quota check on carry <c>RateLimit-Limit</c>, <c>-Remaining</c> and <c>-Reset</c>.</summary>
    public static RouteHandlerBuilder RateLimited(this RouteHandlerBuilder builder) => builder.WithMetadata(new RateLimitFields());

    /// <summary>The statuses answered after the events quota was checked, which therefore carry its RateLimit fields.</summary>
    private static readonly string[] RateLimitedStatuses = ["202", "413", "429", "503", "507"];

    private static OpenApiHeader IntegerHeader(string description) =>
        new() { Description = description, Schema = new OpenApiSchema { Type = JsonSchemaType.Integer } };

    public static IServiceCollection AddApiDocs(this IServiceCollection services) => services.AddOpenApi(options =>
    {
        options.AddOperationTransformer(async (operation, context, ct) =>
        {
            var metadata = context.Description.ActionDescriptor.EndpointMetadata;
            if (metadata.OfType<RequestBody>().FirstOrDefault() is { } body)
            {
                var schema = await context.GetOrCreateSchemaAsync(body.Type, cancellationToken: ct);
                operation.RequestBody = new OpenApiRequestBody
                {
                    Required = true,
                    Content = body.ContentTypes.ToDictionary(type => type, _ => new OpenApiMediaType { Schema = schema }),
                };
            }

            if (metadata.OfType<RateLimitFields>().Any())
            {
                foreach (var (_, response) in (operation.Responses ?? []).Where(r => RateLimitedStatuses.Contains(r.Key)))
                {
                    var headers = ((OpenApiResponse)response).Headers ??= new Dictionary<string, IOpenApiHeader>();
                    headers["RateLimit-Limit"] = IntegerHeader("The agreement's events_per_second (sent when the agreement sets it).");
                    headers["RateLimit-Remaining"] = IntegerHeader("Events the tenant may still send in the current second (sent when the agreement sets events_per_second).");
                    headers["RateLimit-Reset"] = IntegerHeader("Seconds until the allowance is whole again (sent when the agreement sets events_per_second).");
                }
            }

            if (metadata.OfType<IAllowAnonymous>().Any())
            {
                operation.Security = []; // overrides the document's requirement
            }

            foreach (var query in metadata.OfType<QueryParameter>())
            {
                operation.Parameters ??= [];
                operation.Parameters.Add(query.Name == "*"
                    ? new OpenApiParameter
                    {
                        Name = "key", In = ParameterLocation.Query, Description = query.Description, Style = ParameterStyle.Form, Explode = true,
                        Schema = new OpenApiSchema { Type = JsonSchemaType.Object, AdditionalProperties = new OpenApiSchema { Type = JsonSchemaType.String } },
                    }
                    : new OpenApiParameter { Name = query.Name, In = ParameterLocation.Query, Description = query.Description, Schema = new OpenApiSchema { Type = JsonSchemaType.String } });
            }
        });
        options.AddDocumentTransformer((document, _, _) =>
        {
            Describe(document);
            return Task.CompletedTask;
        });
    });

    public static void MapApiDocs(this WebApplication app)
    {
        app.MapOpenApi().AllowAnonymous();
        app.MapScalarApiReference("/docs", options => options.WithTitle("mysimbdp API").DisableDefaultFonts()
            .WithOpenApiRoutePattern("/openapi/{documentName}.json")).AllowAnonymous();
    }

    private static void Describe(OpenApiDocument document)
    {
        document.Info.Title = "mysimbdp";
        document.Info.Description = "Multi-tenant data ingestion: tenants register datasets and agreements, upload files, post events and read their rows. " +
            "Get a token from POST /auth/token (client credentials) and send it as 'Authorization: Bearer <token>'. Errors are problem+json; " +
            "a 400 lists each field with the rule it broke.";
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
        document.Components.Schemas ??= new Dictionary<string, IOpenApiSchema>();
        document.Components.Schemas[ProblemSchema] = Problem();

        foreach (var (path, item) in document.Paths)
        {
            var names = PathParameter().Matches(path).Select(m => m.Groups[1].Value).ToList();
            foreach (var operation in (IEnumerable<OpenApiOperation>?)item.Operations?.Values ?? [])
            {
                operation.Parameters ??= [];
                foreach (var name in names.Where(n => !operation.Parameters.Any(p => p.In == ParameterLocation.Path && p.Name == n)))
                {
                    operation.Parameters.Add(new OpenApiParameter { Name = name, In = ParameterLocation.Path, Required = true, Schema = new OpenApiSchema { Type = JsonSchemaType.String } });
                }

                operation.Responses ??= [];
                var anonymous = operation.Security is { Count: 0 };
                var shared = new List<int>();
                if (operation.RequestBody is not null || operation.Parameters.Any(p => p.In == ParameterLocation.Query))
                {
                    shared.Add(StatusCodes.Status400BadRequest);
                }

                if (!anonymous)
                {
                    shared.AddRange([StatusCodes.Status401Unauthorized, StatusCodes.Status403Forbidden]);
                }

                if (names.Count > 0)
                {
                    shared.Add(StatusCodes.Status404NotFound);
                }

                foreach (var status in shared)
                {
                    operation.Responses.TryAdd(status.ToString(System.Globalization.CultureInfo.InvariantCulture), new OpenApiResponse());
                }

                // Every problem, declared here or by the endpoint, in the platform's one shape; a 429 or 503 says when to
                // try again.
                foreach (var (code, response) in operation.Responses.Where(r => r.Key[0] is '4' or '5').Select(r => (r.Key, r.Value)).ToList())
                {
                    var headers = response.Headers is { } h ? new Dictionary<string, IOpenApiHeader>(h) : [];
                    if (code is "429" or "503")
                    {
                        headers["Retry-After"] = IntegerHeader("Seconds to wait before sending the request again.");
                    }

                    operation.Responses[code] = new OpenApiResponse
                    {
                        Description = response.Description is { Length: > 0 } d ? d : ReasonPhrases.GetReasonPhrase(int.Parse(code, System.Globalization.CultureInfo.InvariantCulture)),
                        Headers = headers.Count > 0 ? headers : null,
                        Content = new Dictionary<string, OpenApiMediaType>
                        {
                            ["application/problem+json"] = new() { Schema = new OpenApiSchemaReference(ProblemSchema, document) },
                        },
                    };
                }
            }
        }
    }

    /// <summary>RFC 9457 problem details as the platform writes them (<c>Problems/Problem.cs</c>).</summary>
    private static OpenApiSchema Problem()
    {
        static OpenApiSchema Text(string description) => new() { Type = JsonSchemaType.String, Description = description };
        return new OpenApiSchema
        {
            Type = JsonSchemaType.Object,
            Description = "What went wrong (application/problem+json).",
            Required = new HashSet<string> { "type", "title", "status" },
            Properties = new Dictionary<string, IOpenApiSchema>
            {
                ["type"] = Text("urn:mysimbdp:problem:{kind}, e.g. validation, not-found, conflict, too-large, quota-exceeded."),
                ["title"] = Text("A short summary of the kind."),
                ["status"] = new OpenApiSchema { Type = JsonSchemaType.Integer, Description = "The HTTP status." },
                ["detail"] = Text("What happened in this request."),
                ["errors"] = new OpenApiSchema
                {
                    Type = JsonSchemaType.Array,
                    Description = "Validation problems (400): every field that broke a rule.",
                    Items = new OpenApiSchema
                    {
                        Type = JsonSchemaType.Object,
                        Properties = new Dictionary<string, IOpenApiSchema>
                        {
                            ["field"] = Text("The field's path in the request, e.g. schema.fields[2].type."),
                            ["rule"] = Text("The rule it broke, e.g. required, one_of, format."),
                            ["message"] = Text("What the rule asks for."),
                        },
                    },
                },
            },
        };
    }

    [GeneratedRegex(@"\{([^}:?]+)[^}]*\}")]
    private static partial Regex PathParameter();
}
