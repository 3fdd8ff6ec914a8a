using Microsoft.Extensions.Options;
using StreamIngestManager;
using StreamIngestManager.Tenants;

namespace Platform.Tests.Streaming;

/// <summary>The slots tenants share to stream files: all for a tenant alone, an equal share each once others are active, freed slots to whoever is under its share.</summary>
public sealed class FileSlotsTests
{
    private static FileSlots Slots(int total) => new(Options.Create(new StreamOptions { FilesInParallel = total }));

    [Fact]
    public async Task ATenantAloneUsesEverySlotAndANewcomerGetsTheNextFreedOneAheadOfTheFlood()
    {
        var slots = Slots(2);
        var first = await slots.AcquireAsync("flood", CancellationToken.None);
        var second = await slots.AcquireAsync("flood", CancellationToken.None);

        // The flood asks for a third: it waits. So does the newcomer, until the flood gives one back.
        var floodThird = slots.AcquireAsync("flood", CancellationToken.None);
        var newcomer = slots.AcquireAsync("small", CancellationToken.None);
        Assert.False(floodThird.IsCompleted);
        Assert.False(newcomer.IsCompleted);

        // A freed slot goes to the newcomer although the flood asked first: the flood already holds its share (one of two).
        first.Dispose();
        var small = await newcomer.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.False(floodThird.IsCompleted);

        // While the newcomer is active the flood keeps one slot; the newcomer's next file finds the other free at once.
        small.Dispose();
        var again = slots.AcquireAsync("small", CancellationToken.None);
        Assert.True(again.IsCompletedSuccessfully);
        (await again).Dispose();
        Assert.False(floodThird.IsCompleted);

        // The flood's waiting request gets a slot when it is under its share again.
        second.Dispose();
        (await floodThird.WaitAsync(TimeSpan.FromSeconds(10))).Dispose();
    }

    [Fact]
    public async Task AWaitThatIsCancelledTakesNoSlot()
    {
        var slots = Slots(1);
        var held = await slots.AcquireAsync("a", CancellationToken.None);
        using var cancel = new CancellationTokenSource();
        var waiting = slots.AcquireAsync("b", cancel.Token);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        held.Dispose();
        (await slots.AcquireAsync("c", CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10))).Dispose();
    }
}
