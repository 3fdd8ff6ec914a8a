using Catalog;
using Coredms;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Platform.Api.Problems;

/// <summary>
/// What an unhandled failure becomes: 507 Insufficient Storage when a store ran out of room (naming the store and
/// the space left, so that the caller knows to try again later and the operator where to look), 500 otherwise.
/// Nothing stored before is lost, and sending the request again is safe: writes are transactions and upserts,
/// uploads are files renamed into place only once complete.
/// </summary>
public static class StorageProblems
{
    public static ProblemHttpResult Of(HttpContext context)
    {
        var error = context.Features.Get<IExceptionHandlerFeature>()?.Error;
        var home = context.RequestServices.GetRequiredService<IOptions<PlatformOptions>>().Value.Home;
        var store = error switch
        {
            StoreFullException full => full.Store.Length > 0 ? full.Store : "coredms",
            IOException io when DiskSpace.IsFull(io) => "the staging area",
            _ => null,
        };
        if (store is null)
        {
            return Problem.Of(StatusCodes.Status500InternalServerError, "internal", "Internal error",
                "The platform failed to handle the request; the error is in its log.");
        }

        var free = DiskSpace.FreeBytes(home);
        context.Response.Headers.RetryAfter = "60";
        return Problem.Of(StatusCodes.Status507InsufficientStorage, "insufficient-storage", "Insufficient storage",
            $"The platform's storage is full ({store}: {Math.Max(free, 0)} bytes free); the request did not complete. Send it again once space is freed: that is safe.",
            new Dictionary<string, object?> { ["store"] = store, ["free_bytes"] = free });
    }
}
