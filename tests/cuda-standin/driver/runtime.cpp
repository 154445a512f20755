// runtime.cpp — process state, the worker thread that executes queued work, error names and the sticky error.
#include "standin.h"

#include <csignal>
#include <cstdio>
#include <pthread.h>

namespace sa
{
std::string format(const char* fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    char small[512];
    va_list copy;
    va_copy(copy, args);
    const int n = vsnprintf(small, sizeof small, fmt, copy);
    va_end(copy);
    std::string out;
    if (n < (int)sizeof small) out.assign(small, n > 0 ? n : 0);
    else
    {
        out.resize(n);
        vsnprintf(out.data(), n + 1, fmt, args);
    }
    va_end(args);
    return out;
}

State& state()
{
    static State* instance = new State(); // never destroyed: the worker may still wait on it at exit
    return *instance;
}

const char* error_name(int code)
{
    switch (code)
    {
        case CUDA_SUCCESS: return "CUDA_SUCCESS";
        case CUDA_ERROR_INVALID_VALUE: return "CUDA_ERROR_INVALID_VALUE";
        case CUDA_ERROR_OUT_OF_MEMORY: return "CUDA_ERROR_OUT_OF_MEMORY";
        case CUDA_ERROR_NOT_INITIALIZED: return "CUDA_ERROR_NOT_INITIALIZED";
        case CUDA_ERROR_DEINITIALIZED: return "CUDA_ERROR_DEINITIALIZED";
        case CUDA_ERROR_NO_DEVICE: return "CUDA_ERROR_NO_DEVICE";
        case CUDA_ERROR_INVALID_DEVICE: return "CUDA_ERROR_INVALID_DEVICE";
        case CUDA_ERROR_INVALID_IMAGE: return "CUDA_ERROR_INVALID_IMAGE";
        case CUDA_ERROR_INVALID_CONTEXT: return "CUDA_ERROR_INVALID_CONTEXT";
        case CUDA_ERROR_NO_BINARY_FOR_GPU: return "CUDA_ERROR_NO_BINARY_FOR_GPU";
        case CUDA_ERROR_INVALID_HANDLE: return "CUDA_ERROR_INVALID_HANDLE";
        case CUDA_ERROR_NOT_FOUND: return "CUDA_ERROR_NOT_FOUND";
        case CUDA_ERROR_NOT_READY: return "CUDA_ERROR_NOT_READY";
        case CUDA_ERROR_ILLEGAL_ADDRESS: return "CUDA_ERROR_ILLEGAL_ADDRESS";
        case CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES: return "CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES";
        case CUDA_ERROR_LAUNCH_TIMEOUT: return "CUDA_ERROR_LAUNCH_TIMEOUT";
        case CUDA_ERROR_ASSERT: return "CUDA_ERROR_ASSERT";
        case CUDA_ERROR_ILLEGAL_INSTRUCTION: return "CUDA_ERROR_ILLEGAL_INSTRUCTION";
        case CUDA_ERROR_MISALIGNED_ADDRESS: return "CUDA_ERROR_MISALIGNED_ADDRESS";
        case CUDA_ERROR_LAUNCH_FAILED: return "CUDA_ERROR_LAUNCH_FAILED";
        case CUDA_ERROR_NOT_SUPPORTED: return "CUDA_ERROR_NOT_SUPPORTED";
        case CUDA_ERROR_UNKNOWN: return "CUDA_ERROR_UNKNOWN";
        default: return nullptr;
    }
}

const char* error_text(int code)
{
    switch (code)
    {
        case CUDA_SUCCESS: return "no error";
        case CUDA_ERROR_INVALID_VALUE: return "invalid argument";
        case CUDA_ERROR_OUT_OF_MEMORY: return "out of memory";
        case CUDA_ERROR_NOT_INITIALIZED: return "initialization error";
        case CUDA_ERROR_DEINITIALIZED: return "driver shutting down";
        case CUDA_ERROR_NO_DEVICE: return "no CUDA-capable device is detected";
        case CUDA_ERROR_INVALID_DEVICE: return "invalid device ordinal";
        case CUDA_ERROR_INVALID_IMAGE: return "device kernel image is invalid";
        case CUDA_ERROR_INVALID_CONTEXT: return "invalid device context";
        case CUDA_ERROR_NO_BINARY_FOR_GPU: return "no kernel image is available for execution on the device";
        case CUDA_ERROR_INVALID_HANDLE: return "invalid resource handle";
        case CUDA_ERROR_NOT_FOUND: return "named symbol not found";
        case CUDA_ERROR_NOT_READY: return "device not ready";
        case CUDA_ERROR_ILLEGAL_ADDRESS: return "an illegal memory access was encountered";
        case CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES: return "too many resources requested for launch";
        case CUDA_ERROR_LAUNCH_TIMEOUT: return "the launch timed out and was terminated";
        case CUDA_ERROR_ASSERT: return "device-side assert triggered";
        case CUDA_ERROR_ILLEGAL_INSTRUCTION: return "an illegal instruction was encountered";
        case CUDA_ERROR_MISALIGNED_ADDRESS: return "misaligned address";
        case CUDA_ERROR_LAUNCH_FAILED: return "unspecified launch failure";
        case CUDA_ERROR_NOT_SUPPORTED: return "operation not supported";
        case CUDA_ERROR_UNKNOWN: return "unknown error";
        default: return nullptr;
    }
}

void raiseSticky(int code, const std::string& message)
{
    State& s = state();
    if (s.sticky != CUDA_SUCCESS) return;
    s.sticky = code;
    s.stickyMessage = message;
}

int fail(int code, const std::string& detail)
{
    State& s = state();
    s.lastError = code;
    s.lastDetail = detail;
    return code;
}

void Worker::start()
{
    pthread_attr_t attributes;
    pthread_attr_init(&attributes);
    pthread_attr_setstacksize(&attributes, 16u << 20);
    pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
    // The worker runs fibers on stacks of their own; no asynchronous signal is delivered to it (the synchronous ones
    // that a fault raises stay unblocked, so a crash is still reported where it happens).
    sigset_t all, previous;
    sigfillset(&all);
    for (int synchronous : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGABRT}) sigdelset(&all, synchronous);
    pthread_sigmask(SIG_SETMASK, &all, &previous);
    pthread_t thread;
    const int rc = pthread_create(&thread, &attributes, &Worker::main, this);
    pthread_sigmask(SIG_SETMASK, &previous, nullptr);
    pthread_attr_destroy(&attributes);
    if (rc != 0)
    {
        fprintf(stderr, "cuda-standin: cannot start the worker thread\n");
        abort();
    }
}

void* Worker::main(void* self)
{
    auto* w = static_cast<Worker*>(self);
    std::unique_lock<std::mutex> lock(w->mutex_);
    for (;;)
    {
        w->wake_.wait(lock, [w] { return w->job_ != nullptr; });
        (*w->job_)();
        w->job_ = nullptr;
        w->finished_ = true;
        w->done_.notify_all();
    }
    return nullptr;
}

void Worker::run(const std::function<void()>& job)
{
    std::unique_lock<std::mutex> lock(mutex_);
    job_ = &job;
    finished_ = false;
    wake_.notify_all();
    done_.wait(lock, [this] { return finished_; });
}

SaStream* resolveStream(CUstream stream, int* error)
{
    State& s = state();
    if (stream == nullptr) return s.streams[0];
    for (SaStream* candidate : s.streams)
        if (candidate == stream) return candidate;
    *error = CUDA_ERROR_INVALID_HANDLE;
    return nullptr;
}

void enqueue(SaStream* stream, std::unique_ptr<Op> op) { stream->queue.push_back(std::move(op)); }

int drain(SaStream* stream)
{
    State& s = state();
    const auto dropAll = [&s] {
        for (SaStream* q : s.streams)
        {
            for (auto& op : q->queue)
                if (op->bookkeeping()) op->run();
            q->queue.clear();
        }
    };
    if (s.sticky != CUDA_SUCCESS)
    {
        dropAll();
        return s.sticky;
    }
    bool any = false;
    for (SaStream* q : s.streams) any |= !q->queue.empty() && (stream == nullptr || q == stream);
    if (!any) return CUDA_SUCCESS;
    const std::function<void()> job = [&] {
        initializeExecutor();
        for (SaStream* q : s.streams)
        {
            if (stream != nullptr && q != stream) continue;
            while (!q->queue.empty())
            {
                std::unique_ptr<Op> op = std::move(q->queue.front());
                q->queue.pop_front();
                op->run();
                if (s.sticky != CUDA_SUCCESS) return;
            }
        }
    };
    s.worker.run(job);
    if (s.sticky != CUDA_SUCCESS) dropAll();
    return s.sticky;
}

void applyReleaseThreshold()
{
    State& s = state();
    s.memory.trimPool(s.releaseThreshold);
}
} // namespace sa
