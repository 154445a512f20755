namespace StyleAlign.Engine.Core;

/// <summary>
/// The one registry from a device to the code that serves it: the primitive surface <see cref="IBackend"/>, and
/// any other capability an op looks up by interface (fused attention, the fused log-prob primitives, …). Each
/// implementation registers itself, per device kind, when the engine assembly loads, so Core names none of them.
/// A registration is a factory that runs on lookup: the CUDA backend opens its context only when a CUDA tensor is
/// first made, and a machine without a GPU loads the engine without touching CUDA.
/// </summary>
public static class Backends
{
    /// <summary>Makes <typeparamref name="TCapability"/> on devices of <paramref name="kind"/> resolve through <paramref name="factory"/>; a later registration replaces an earlier one.</summary>
    public static void Register<TCapability>(DeviceKind kind, Func<Device, TCapability> factory)
        where TCapability : class
    {
        ArgumentNullException.ThrowIfNull(factory);
        Volatile.Write(ref Slot<TCapability>.ByKind[(int)kind], factory);
    }

    /// <summary>The primitive backend of a device.</summary>
    public static IBackend For(Device device) => For<IBackend>(device);

    /// <summary>The implementation of <typeparamref name="TCapability"/> registered for the device's kind.</summary>
    public static TCapability For<TCapability>(Device device)
        where TCapability : class
    {
        var factory = Volatile.Read(ref Slot<TCapability>.ByKind[(int)device.Kind])
            ?? throw new InvalidOperationException($"{typeof(TCapability).Name} on {device}: no {KindName(device.Kind)} implementation is registered");
        return factory(device);
    }

    /// <summary>The implementation of <typeparamref name="TCapability"/> for the device, or null when none is registered for its kind
    /// (a caller that has a composite path of ordinary ops takes it then).</summary>
    public static TCapability? TryFor<TCapability>(Device device)
        where TCapability : class =>
        Volatile.Read(ref Slot<TCapability>.ByKind[(int)device.Kind])?.Invoke(device);

    private static string KindName(DeviceKind kind) => kind switch
    {
        DeviceKind.Cpu => "CPU",
        DeviceKind.Cuda => "CUDA",
        _ => kind.ToString(),
    };

    /// <summary>One factory per device kind for one capability: a lookup is an array read, not a dictionary probe.</summary>
    private static class Slot<TCapability>
        where TCapability : class
    {
        public static readonly Func<Device, TCapability>?[] ByKind = new Func<Device, TCapability>?[Enum.GetValues<DeviceKind>().Length];
    }
}
