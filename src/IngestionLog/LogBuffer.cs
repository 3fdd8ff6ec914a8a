namespace IngestionLog;

/// <summary>
/// A bounded buffer of log documents between the logging call and a log sink (Elasticsearch, the catalog).
/// Offering never blocks: when the buffer is full the oldest document is dropped and counted, so a slow or
/// absent destination never slows ingestion.
/// </summary>
public sealed class LogBuffer(string name, int capacity, Func<EcsDocument, bool> accepts) : IDisposable
{
    private readonly Queue<EcsDocument> _items = new();
    private readonly SemaphoreSlim _signal = new(0);
    private long _dropped;

    public string Name { get; } = name;

    /// <summary>Documents dropped because the buffer was full, since start.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    public int Count
    {
        get
        {
            lock (_items)
            {
                return _items.Count;
            }
        }
    }

    public void Offer(EcsDocument document)
    {
        if (!accepts(document))
        {
            return;
        }

        lock (_items)
        {
            if (_items.Count >= capacity)
            {
                _items.Dequeue();
                Interlocked.Increment(ref _dropped);
            }

            _items.Enqueue(document);
        }

        if (_signal.CurrentCount == 0)
        {
            _signal.Release();
        }
    }

    /// <summary>Waits up to <paramref name="wait"/> for documents, then takes at most <paramref name="max"/> of them.</summary>
    public async Task<List<EcsDocument>> TakeAsync(int max, TimeSpan wait, CancellationToken ct)
    {
        if (Count == 0)
        {
            try
            {
                await _signal.WaitAsync(wait, ct);
            }
            catch (OperationCanceledException)
            {
            }
        }

        var batch = new List<EcsDocument>(Math.Min(max, 1024));
        lock (_items)
        {
            while (batch.Count < max && _items.TryDequeue(out var item))
            {
                batch.Add(item);
            }
        }

        return batch;
    }

    /// <summary>Puts back a batch that could not be shipped, ahead of newer documents, as far as capacity allows.</summary>
    public void Return(IReadOnlyList<EcsDocument> batch)
    {
        lock (_items)
        {
            var keep = batch.Skip(Math.Max(0, batch.Count + _items.Count - capacity)).ToList();
            Interlocked.Add(ref _dropped, batch.Count - keep.Count);
            var newer = _items.ToList();
            _items.Clear();
            foreach (var item in keep.Concat(newer))
            {
                _items.Enqueue(item);
            }
        }
    }

    public void Dispose() => _signal.Dispose();
}
