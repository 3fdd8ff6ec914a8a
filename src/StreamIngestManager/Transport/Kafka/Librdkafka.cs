using System.Runtime.InteropServices;

namespace StreamIngestManager.Transport.Kafka;

/// <summary>
/// Points Confluent.Kafka at the system's librdkafka (Debian's librdkafka1): its own loader looks for
/// "librdkafka" and "libdl", which Debian names librdkafka.so.1 and libdl.so.2.
/// </summary>
internal static class Librdkafka
{
    public const string Library = "librdkafka.so.1";
    private static readonly Lazy<bool> Loaded = new(Load);

    public static void EnsureLoaded() => _ = Loaded.Value;

    private static bool Load()
    {
        NativeLibrary.SetDllImportResolver(typeof(Confluent.Kafka.Library).Assembly, (name, _, _) => name switch
        {
            "librdkafka" => NativeLibrary.Load(Library),
            "libdl" => NativeLibrary.Load("libdl.so.2"),
            _ => IntPtr.Zero,
        });
        try
        {
            Confluent.Kafka.Library.Load(Library);
        }
        catch (DllNotFoundException e)
        {
            throw new InvalidOperationException($"{Library} was not found: install Debian's librdkafka1 (./mysimbdp install does).", e);
        }

        return true;
    }
}
