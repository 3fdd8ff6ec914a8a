using Ingestion.Lake;
using Microsoft.Extensions.Options;
using Platform.Api.Lake;

namespace Platform.Tests.Lake;

/// <summary>How many lake queries run at once: per tenant and in all, each turn given back exactly once.</summary>
public sealed class LakeQueryTurnTests
{
    [Fact]
    public void QueriesRunAtMostPerTenantAndInAllAndATurnIsGivenBackOnce()
    {
        var query = new LakeQuery(null!, Options.Create(new LakeOptions { QueriesInParallel = 2, QueriesPerTenant = 1 }));
        var a = query.TryEnter("a").Turn;
        Assert.NotNull(a);
        Assert.Equal((null, "queries_per_tenant", 1), query.TryEnter("a"));
        var b = query.TryEnter("b").Turn;
        Assert.NotNull(b);
        Assert.Equal((null, "queries_in_parallel", 2), query.TryEnter("c"));

        a.Dispose();
        a.Dispose();
        var c = query.TryEnter("c").Turn;
        Assert.NotNull(c);
        Assert.Equal((null, "queries_in_parallel", 2), query.TryEnter("a"));
        b.Dispose();
        c.Dispose();
        Assert.NotNull(query.TryEnter("a").Turn);
        Assert.NotNull(query.TryEnter("b").Turn);
    }
}
