using System.Runtime.CompilerServices;
using StyleAlign.Engine.Cuda.Interop;

namespace StyleAlign.Engine.Cuda;

/// <summary>A failed CUDA driver, NVRTC or cuBLAS call: names the call, the error and, for NVRTC, the compile log.</summary>
public sealed class CudaException : Exception
{
    public CudaException(string call, int errorCode, string errorName, string? compileLog = null, string? detail = null)
        : base(Compose(call, errorName, compileLog, detail))
    {
        Call = call;
        ErrorCode = errorCode;
        ErrorName = errorName;
        CompileLog = compileLog;
    }

    /// <summary>The expression that failed, e.g. "CuDriver.cuMemAllocAsync(&amp;pointer, bytes, stream)".</summary>
    public string Call { get; }
    public int ErrorCode { get; }
    public string ErrorName { get; }
    public string? CompileLog { get; }

    private static string Compose(string call, string errorName, string? log, string? detail)
    {
        var message = $"{call} failed: {errorName}";
        if (!string.IsNullOrEmpty(detail)) message += $". {detail}";
        if (!string.IsNullOrWhiteSpace(log)) message += $"{Environment.NewLine}NVRTC log:{Environment.NewLine}{log.TrimEnd()}";
        return message;
    }
}

/// <summary>Result checks for the three native APIs.</summary>
public static class CudaCheck
{
    public static void Driver(int result, [CallerArgumentExpression(nameof(result))] string call = "")
    {
        if (result != CuDriver.Success) throw new CudaException(call, result, CuDriver.ErrorName(result));
    }

    public static void Nvrtc(int result, string? log = null, [CallerArgumentExpression(nameof(result))] string call = "")
    {
        if (result != Interop.Nvrtc.Success) throw new CudaException(call, result, Interop.Nvrtc.ErrorName(result), log);
    }

    public static void Cublas(int status, [CallerArgumentExpression(nameof(status))] string call = "")
    {
        if (status != Interop.Cublas.Success) throw new CudaException(call, status, Interop.Cublas.ErrorName(status));
    }
}
