namespace StreamIngestManager.Transport;

/// <summary>
/// How both transports hand a micro-batch to the writer: again and again, with back-off (0.2 s doubling to
/// 30 s), until it succeeds or the consumer stops. A batch is never skipped: what cannot be written now
/// (coredms unavailable) waits, and records that can never be written are quarantined by the writer instead
/// of failing it. A transport whose publishers still hold the records may give up on some failures at once,
/// handing the failure back to them.
/// </summary>
internal static class Redelivery
{
    /// <param name="tenant">Whose records these are (for the log).</param>
    /// <param name="batch">The micro-batch.</param>
    /// <param name="handler">Writes it.</param>
    /// <param name="logger">Where failed attempts are told.</param>
    /// <param name="ct">Stops the retries.</param>
    /// <param name="giveUp">Failures that are thrown instead of tried again.</param>
    public static async Task UntilWrittenAsync(string tenant, IReadOnlyList<StreamDelivery> batch,
        Func<IReadOnlyList<StreamDelivery>, CancellationToken, Task> handler, ILogger logger, CancellationToken ct, Func<Exception, bool>? giveUp = null)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await handler(batch, ct);
                return;
            }
            catch (Exception e) when ((e is not OperationCanceledException || !ct.IsCancellationRequested) && giveUp?.Invoke(e) != true)
            {
                var wait = Backoff(attempt);
                logger.LogError(e, "Writing {Records} streamed records of {TenantId} failed (attempt {Attempt}); trying again in {Wait}",
                    batch.Sum(d => d.Records.Count), tenant, attempt, wait);
                await Task.Delay(wait, ct);
            }
        }
    }

    public static TimeSpan Backoff(int attempt) => TimeSpan.FromMilliseconds(Math.Min(30_000, 100 * Math.Pow(2, Math.Min(attempt, 9))));
}
