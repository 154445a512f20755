// api.cpp — the exported driver entry points for devices, contexts, streams and events (memory: memory_api.cpp),
// and the hooks the cuBLAS stand-in and the stand-in's own tests use.
#include "api_common.h"

#include <chrono>
#include <cstring>

using namespace sa;

namespace
{
uint64_t parseBytes(const char* text, uint64_t fallback)
{
    if (text == nullptr || *text == 0) return fallback;
    char* end = nullptr;
    const double value = strtod(text, &end);
    if (end == text || value <= 0) return fallback;
    double scale = 1;
    switch (*end)
    {
        case 'k': case 'K': scale = 1024.0; break;
        case 'm': case 'M': scale = 1024.0 * 1024; break;
        case 'g': case 'G': scale = 1024.0 * 1024 * 1024; break;
        default: break;
    }
    return (uint64_t)(value * scale);
}

struct RecordOp final : Op
{
    SaEvent* event;
    uint64_t token;
    RecordOp(SaEvent* e, uint64_t t) : event(e), token(t) {}
    void run() override
    {
        if (event->token != token) return;
        event->completed = true;
        event->milliseconds = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch()).count();
    }
};

struct HostFunctionOp final : Op
{
    void (*function)(void*);
    void* context;
    HostFunctionOp(void (*f)(void*), void* c) : function(f), context(c) {}
    void run() override { function(context); }
};
} // namespace

// ---- initialization, device ----------------------------------------------------------------------------------------
SA_API CUresult cuInit(unsigned flags)
{
    SA_ENTER();
    if (flags != 0) return fail(CUDA_ERROR_INVALID_VALUE, "cuInit: flags must be 0");
    State& s = state();
    if (s.initialized) return CUDA_SUCCESS;
    const char* devices = getenv("STYLEALIGN_STANDIN_DEVICES");
    if (devices != nullptr && atoi(devices) == 0 && devices[0] == '0') return CUDA_ERROR_NO_DEVICE;
    s.memory.initialize(parseBytes(getenv("STYLEALIGN_STANDIN_MEMORY"), 8ull << 30));
    const char* seed = getenv("STYLEALIGN_STANDIN_SEED");
    if (seed != nullptr && *seed != 0) s.seed = strtoull(seed, nullptr, 0);
    s.streams.push_back(new SaStream()); // the NULL stream
    s.worker.start();
    s.initialized = true;
    return CUDA_SUCCESS;
}

SA_API CUresult cuDriverGetVersion(int* version)
{
    if (version == nullptr) return CUDA_ERROR_INVALID_VALUE;
    *version = limits::DriverVersion;
    return CUDA_SUCCESS;
}

SA_API CUresult cuDeviceGetCount(int* count)
{
    SA_ENTER_INIT();
    if (count == nullptr) return CUDA_ERROR_INVALID_VALUE;
    *count = 1;
    return CUDA_SUCCESS;
}

SA_API CUresult cuDeviceGet(CUdevice* device, int ordinal)
{
    SA_ENTER_INIT();
    if (device == nullptr) return CUDA_ERROR_INVALID_VALUE;
    if (ordinal != 0) return fail(CUDA_ERROR_INVALID_DEVICE, format("the stand-in has one device; ordinal %d does not exist", ordinal));
    *device = 0;
    return CUDA_SUCCESS;
}

SA_API CUresult cuDeviceGetName(char* name, int length, CUdevice device)
{
    SA_ENTER_INIT();
    if (name == nullptr || length <= 0) return CUDA_ERROR_INVALID_VALUE;
    if (device != 0) return CUDA_ERROR_INVALID_DEVICE;
    snprintf(name, length, "%s", SA_DEVICE_NAME);
    return CUDA_SUCCESS;
}

SA_API CUresult cuDeviceGetAttribute(int* value, int attribute, CUdevice device)
{
    SA_ENTER_INIT();
    if (value == nullptr) return CUDA_ERROR_INVALID_VALUE;
    if (device != 0) return CUDA_ERROR_INVALID_DEVICE;
    switch (attribute)
    {
        case CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_BLOCK: *value = limits::MaxThreadsPerBlock; break;
        case CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_X: *value = limits::MaxBlockX; break;
        case CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_Y: *value = limits::MaxBlockY; break;
        case CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_Z: *value = limits::MaxBlockZ; break;
        case CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_X: *value = (int)limits::MaxGridX; break;
        case CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_Y: *value = (int)limits::MaxGridY; break;
        case CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_Z: *value = (int)limits::MaxGridZ; break;
        case CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK: *value = (int)limits::SharedPerBlock; break;
        case CU_DEVICE_ATTRIBUTE_TOTAL_CONSTANT_MEMORY: *value = 65536; break;
        case CU_DEVICE_ATTRIBUTE_WARP_SIZE: *value = 32; break;
        case CU_DEVICE_ATTRIBUTE_MAX_REGISTERS_PER_BLOCK: *value = 65536; break;
        case CU_DEVICE_ATTRIBUTE_CLOCK_RATE: *value = 1000000; break;
        case CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT: *value = limits::Multiprocessors; break;
        case CU_DEVICE_ATTRIBUTE_MEMORY_CLOCK_RATE: *value = 1000000; break;
        case CU_DEVICE_ATTRIBUTE_GLOBAL_MEMORY_BUS_WIDTH: *value = 64; break;
        case CU_DEVICE_ATTRIBUTE_L2_CACHE_SIZE: *value = 1 << 20; break;
        case CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_MULTIPROCESSOR: *value = 2048; break;
        case CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR: *value = limits::ComputeMajor; break;
        case CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR: *value = limits::ComputeMinor; break;
        case CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_MULTIPROCESSOR: *value = 228 * 1024; break;
        case CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN: *value = (int)limits::SharedPerBlockOptin; break;
        case CU_DEVICE_ATTRIBUTE_MEMORY_POOLS_SUPPORTED: *value = 1; break;
        default: return fail(CUDA_ERROR_INVALID_VALUE, format("cuDeviceGetAttribute: attribute %d is not modelled by the stand-in", attribute));
    }
    return CUDA_SUCCESS;
}

SA_API CUresult cuDeviceTotalMem_v2(size_t* bytes, CUdevice device)
{
    SA_ENTER_INIT();
    if (bytes == nullptr) return CUDA_ERROR_INVALID_VALUE;
    if (device != 0) return CUDA_ERROR_INVALID_DEVICE;
    *bytes = state().memory.total();
    return CUDA_SUCCESS;
}

// ---- contexts ----------------------------------------------------------------------------------------------------------
SA_API CUresult cuDevicePrimaryCtxRetain(CUcontext* context, CUdevice device)
{
    SA_ENTER_INIT();
    if (context == nullptr) return CUDA_ERROR_INVALID_VALUE;
    if (device != 0) return CUDA_ERROR_INVALID_DEVICE;
    state().contextRefs++;
    *context = SA_PRIMARY_CONTEXT;
    return CUDA_SUCCESS;
}

SA_API CUresult cuDevicePrimaryCtxRelease_v2(CUdevice device)
{
    SA_ENTER_INIT();
    if (device != 0) return CUDA_ERROR_INVALID_DEVICE;
    if (state().contextRefs > 0) state().contextRefs--;
    return CUDA_SUCCESS;
}

SA_API CUresult cuCtxSetCurrent(CUcontext context)
{
    SA_ENTER_INIT();
    if (context != nullptr && context != SA_PRIMARY_CONTEXT) return CUDA_ERROR_INVALID_CONTEXT;
    return CUDA_SUCCESS;
}

SA_API CUresult cuCtxGetCurrent(CUcontext* context)
{
    SA_ENTER_INIT();
    if (context == nullptr) return CUDA_ERROR_INVALID_VALUE;
    *context = SA_PRIMARY_CONTEXT;
    return CUDA_SUCCESS;
}

SA_API CUresult cuCtxSynchronize()
{
    SA_ENTER_CONTEXT();
    const int result = drain(nullptr);
    applyReleaseThreshold();
    return result;
}

// ---- streams -------------------------------------------------------------------------------------------------------------
SA_API CUresult cuStreamCreate(CUstream* stream, unsigned flags)
{
    SA_ENTER_CONTEXT();
    if (stream == nullptr || flags > 1) return CUDA_ERROR_INVALID_VALUE;
    auto* s = new SaStream();
    s->flags = flags;
    state().streams.push_back(s);
    *stream = s;
    return CUDA_SUCCESS;
}

SA_API CUresult cuStreamDestroy_v2(CUstream stream)
{
    SA_ENTER_INIT();
    int error = CUDA_SUCCESS;
    SaStream* s = resolveStream(stream, &error);
    if (s == nullptr || s == state().streams[0]) return CUDA_ERROR_INVALID_HANDLE;
    drain(s); // queued work still completes, as on the GPU
    auto& streams = state().streams;
    streams.erase(std::find(streams.begin(), streams.end(), s));
    delete s;
    return CUDA_SUCCESS;
}

SA_API CUresult cuStreamSynchronize(CUstream stream)
{
    SA_ENTER_CONTEXT();
    int error = CUDA_SUCCESS;
    SaStream* s = resolveStream(stream, &error);
    if (s == nullptr) return error;
    const int result = drain(s);
    applyReleaseThreshold();
    return result;
}

// Polling must make progress: a query runs the stream's queued work, then reports it done.
SA_API CUresult cuStreamQuery(CUstream stream)
{
    SA_ENTER_CONTEXT();
    int error = CUDA_SUCCESS;
    SaStream* s = resolveStream(stream, &error);
    if (s == nullptr) return error;
    return drain(s);
}

// ---- events --------------------------------------------------------------------------------------------------------------
SA_API CUresult cuEventCreate(CUevent* event, unsigned flags)
{
    SA_ENTER_CONTEXT();
    if (event == nullptr || flags > 0xf) return CUDA_ERROR_INVALID_VALUE;
    *event = new SaEvent();
    return CUDA_SUCCESS;
}

SA_API CUresult cuEventRecord(CUevent event, CUstream stream)
{
    SA_ENTER_CONTEXT();
    if (event == nullptr) return CUDA_ERROR_INVALID_HANDLE;
    int error = CUDA_SUCCESS;
    SaStream* s = resolveStream(stream, &error);
    if (s == nullptr) return error;
    event->stream = s;
    event->recorded = true;
    event->completed = false;
    event->token++;
    enqueue(s, std::make_unique<RecordOp>(event, event->token));
    return CUDA_SUCCESS;
}

SA_API CUresult cuEventSynchronize(CUevent event)
{
    SA_ENTER_CONTEXT();
    if (event == nullptr) return CUDA_ERROR_INVALID_HANDLE;
    if (!event->recorded) return CUDA_SUCCESS;
    const int result = drain(event->stream);
    applyReleaseThreshold();
    return result;
}

SA_API CUresult cuEventQuery(CUevent event)
{
    SA_ENTER_CONTEXT();
    if (event == nullptr) return CUDA_ERROR_INVALID_HANDLE;
    return event->recorded ? drain(event->stream) : CUDA_SUCCESS;
}

SA_API CUresult cuEventElapsedTime(float* milliseconds, CUevent start, CUevent end)
{
    SA_ENTER_CONTEXT();
    if (milliseconds == nullptr) return CUDA_ERROR_INVALID_VALUE;
    if (start == nullptr || end == nullptr) return CUDA_ERROR_INVALID_HANDLE;
    if (!start->recorded || !end->recorded) return fail(CUDA_ERROR_INVALID_HANDLE, "cuEventElapsedTime: an event was never recorded");
    if (!start->completed || !end->completed) return CUDA_ERROR_NOT_READY;
    *milliseconds = (float)(end->milliseconds - start->milliseconds);
    return CUDA_SUCCESS;
}

SA_API CUresult cuEventDestroy_v2(CUevent event)
{
    SA_ENTER_INIT();
    if (event == nullptr) return CUDA_ERROR_INVALID_HANDLE;
    // A record still queued refers to the event: finish the queues first.
    drain(nullptr);
    delete event;
    return CUDA_SUCCESS;
}

// ---- hooks for the cuBLAS stand-in and for tests of the stand-in itself ------------------------------------------------------
// Queues a host function on a stream (cuBLAS work runs in stream order on the worker).
SA_API int sa_standin_enqueue_host(CUstream stream, void (*function)(void*), void* context)
{
    SA_ENTER_CONTEXT();
    int error = CUDA_SUCCESS;
    SaStream* s = resolveStream(stream, &error);
    if (s == nullptr) return error;
    enqueue(s, std::make_unique<HostFunctionOp>(function, context));
    return CUDA_SUCCESS;
}

// A test that provoked a kernel fault on purpose clears the sticky error so the process can go on (a real driver
// needs a context reset for that; the stand-in keeps the allocations).
SA_API void sa_standin_clear_sticky_error()
{
    std::lock_guard<std::recursive_mutex> lock(state().api);
    drain(nullptr); // with the sticky error still set: bookkeeping runs, work is dropped
    state().sticky = CUDA_SUCCESS;
    state().stickyMessage.clear();
}

// The sticky error a fault left (0 when none), for a test harness that isolates tests from each other's faults.
SA_API int sa_standin_sticky_error()
{
    std::lock_guard<std::recursive_mutex> lock(state().api);
    return state().sticky;
}

SA_API const char* sa_standin_description()
{
    return "StyleAlign CUDA stand-in: the CUDA driver, NVRTC and cuBLAS on the CPU (tests/cuda-standin); it proves logic, not speed";
}
