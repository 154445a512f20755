// memory_api.cpp — the exported driver entry points for memory: stream-ordered and synchronous allocation, copies,
// memsets, page-locked host memory and the default pool. Work is queued on its stream and executed only at a
// synchronization point, so a result read without one is stale — and the host destination of an asynchronous
// device-to-host copy is poisoned until then, so the staleness shows.
#include "api_common.h"

#include <cstring>
#include <sys/mman.h>

using namespace sa;

namespace
{
struct AllocOp final : Op
{
    uint32_t block, generation;
    uint64_t size;
    AllocOp(uint32_t b, uint32_t g, uint64_t s) : block(b), generation(g), size(s) {}
    void run() override { state().memory.execAllocate(block, generation, size); }
    bool bookkeeping() const override { return true; }
};

struct FreeOp final : Op
{
    uint32_t block, generation;
    FreeOp(uint32_t b, uint32_t g) : block(b), generation(g) {}
    void run() override { state().memory.execFree(block, generation); }
    bool bookkeeping() const override { return true; }
};

// Copies are checked again when they execute: the allocation may have been freed in stream order since the call.
bool execRangeOk(uint64_t address, uint64_t bytes, const char* call, const char* which)
{
    const std::string why = state().memory.execCheck(address, bytes);
    if (why.empty()) return true;
    const std::string message = format("%s: the %s range of %llu bytes at 0x%llx %s", call, which, (unsigned long long)bytes,
                                       (unsigned long long)address, why.c_str());
    fprintf(stderr, "cuda-standin: CUDA_ERROR_ILLEGAL_ADDRESS: %s\n", message.c_str());
    raiseSticky(CUDA_ERROR_ILLEGAL_ADDRESS, message);
    return false;
}

struct CopyOp final : Op
{
    enum Kind { HostToDevice, DeviceToHost, DeviceToDevice } kind;
    uint64_t destination, source, bytes;
    std::vector<unsigned char> snapshot; // pageable host source, captured at the call
    CopyOp(Kind k, uint64_t d, uint64_t s, uint64_t n) : kind(k), destination(d), source(s), bytes(n) {}
    void run() override
    {
        if (kind != HostToDevice && !execRangeOk(source, bytes, "cuMemcpy", "source")) return;
        if (kind != DeviceToHost && !execRangeOk(destination, bytes, "cuMemcpy", "destination")) return;
        const void* from = snapshot.empty() ? (const void*)source : snapshot.data();
        std::memmove((void*)destination, from, bytes);
    }
    bool touchesHost(uint64_t base, uint64_t size) const override
    {
        const uint64_t host = kind == HostToDevice ? source : kind == DeviceToHost ? destination : 0;
        return host != 0 && snapshot.empty() && host < base + size && base < host + bytes;
    }
};

struct MemsetOp final : Op
{
    uint64_t destination, count;
    uint32_t value;
    unsigned elementBytes;
    MemsetOp(uint64_t d, uint32_t v, uint64_t c, unsigned e) : destination(d), count(c), value(v), elementBytes(e) {}
    void run() override
    {
        if (!execRangeOk(destination, count * elementBytes, "cuMemset", "destination")) return;
        if (elementBytes == 1) std::memset((void*)destination, (int)value, count);
        else if (elementBytes == 2) std::fill((uint16_t*)destination, (uint16_t*)destination + count, (uint16_t)value);
        else std::fill((uint32_t*)destination, (uint32_t*)destination + count, value);
    }
};

bool isPinned(uint64_t address, uint64_t bytes)
{
    const auto& pinned = state().pinned;
    auto it = pinned.upper_bound(address);
    if (it == pinned.begin()) return false;
    --it;
    return address >= it->first && address + bytes <= it->first + it->second;
}

int checkDeviceRange(uint64_t pointer, uint64_t bytes, const char* call, const char* which)
{
    std::string why;
    if (state().memory.callRangeValid(pointer, bytes, &why)) return CUDA_SUCCESS;
    return fail(CUDA_ERROR_INVALID_VALUE, format("%s: %s %s", call, which, why.c_str()));
}

int queueMemset(CUdeviceptr destination, uint32_t value, size_t count, unsigned elementBytes, CUstream stream, bool synchronous)
{
    SA_ENTER_CONTEXT();
    int error = CUDA_SUCCESS;
    SaStream* s = resolveStream(stream, &error);
    if (s == nullptr) return error;
    if (count == 0) return CUDA_SUCCESS;
    if (destination % elementBytes != 0) return fail(CUDA_ERROR_INVALID_VALUE, format("cuMemsetD%u: 0x%llx is not %u-byte aligned", elementBytes * 8, (unsigned long long)destination, elementBytes));
    if (int e = checkDeviceRange(destination, (uint64_t)count * elementBytes, "cuMemset", "destination")) return e;
    enqueue(s, std::make_unique<MemsetOp>(destination, value, count, elementBytes));
    return synchronous ? drain(nullptr) : CUDA_SUCCESS;
}

int queueCopy(uint64_t destination, uint64_t source, size_t bytes, int kind, CUstream stream, bool synchronous)
{
    SA_ENTER_CONTEXT();
    int error = CUDA_SUCCESS;
    SaStream* s = resolveStream(stream, &error);
    if (s == nullptr) return error;
    if (bytes == 0) return CUDA_SUCCESS;
    if (kind != CopyOp::HostToDevice)
        if (int e = checkDeviceRange(source, bytes, "cuMemcpy", "source")) return e;
    if (kind != CopyOp::DeviceToHost)
        if (int e = checkDeviceRange(destination, bytes, "cuMemcpy", "destination")) return e;
    if ((kind == CopyOp::HostToDevice && source == 0) || (kind == CopyOp::DeviceToHost && destination == 0))
        return fail(CUDA_ERROR_INVALID_VALUE, "cuMemcpy: null host pointer");
    auto op = std::make_unique<CopyOp>((CopyOp::Kind)kind, destination, source, bytes);
    bool waitForIt = synchronous;
    if (kind == CopyOp::HostToDevice && !isPinned(source, bytes))
        op->snapshot.assign((const unsigned char*)source, (const unsigned char*)source + bytes); // pageable: staged now
    if (kind == CopyOp::DeviceToHost)
    {
        if (isPinned(destination, bytes)) std::memset((void*)destination, DeviceMemory::NewFill, bytes); // undefined until synchronized
        else waitForIt = true; // a copy into pageable memory returns only when done
    }
    enqueue(s, std::move(op));
    return waitForIt ? drain(s) : CUDA_SUCCESS;
}
} // namespace

// ---- memory ----------------------------------------------------------------------------------------------------------------
SA_API CUresult cuMemAllocAsync(CUdeviceptr* pointer, size_t bytes, CUstream stream)
{
    SA_ENTER_CONTEXT();
    if (pointer == nullptr) return CUDA_ERROR_INVALID_VALUE;
    int error = CUDA_SUCCESS;
    SaStream* s = resolveStream(stream, &error);
    if (s == nullptr) return error;
    uint32_t id;
    const int result = state().memory.allocate(bytes, true, s, &id);
    if (result == CUDA_ERROR_OUT_OF_MEMORY)
        return fail(result, format("cuMemAllocAsync(%zu bytes): %llu of %llu bytes free on the stand-in device", bytes,
                                   (unsigned long long)state().memory.freeBytes(), (unsigned long long)state().memory.total()));
    if (result != CUDA_SUCCESS) return result;
    const Block& b = state().memory.block(id);
    enqueue(s, std::make_unique<AllocOp>(id, b.generation, bytes));
    *pointer = b.base;
    return CUDA_SUCCESS;
}

SA_API CUresult cuMemFreeAsync(CUdeviceptr pointer, CUstream stream)
{
    SA_ENTER_CONTEXT();
    int error = CUDA_SUCCESS;
    SaStream* s = resolveStream(stream, &error);
    if (s == nullptr) return error;
    uint32_t id;
    if (state().memory.release(pointer, true, s, &id) != CUDA_SUCCESS)
        return fail(CUDA_ERROR_INVALID_VALUE, format("cuMemFreeAsync(0x%llx): not the start of a live allocation (double free?)", (unsigned long long)pointer));
    enqueue(s, std::make_unique<FreeOp>(id, state().memory.block(id).generation));
    return CUDA_SUCCESS;
}

SA_API CUresult cuMemAlloc_v2(CUdeviceptr* pointer, size_t bytes)
{
    SA_ENTER_CONTEXT();
    if (pointer == nullptr) return CUDA_ERROR_INVALID_VALUE;
    uint32_t id;
    const int result = state().memory.allocate(bytes, false, nullptr, &id);
    if (result == CUDA_ERROR_OUT_OF_MEMORY)
        return fail(result, format("cuMemAlloc(%zu bytes): %llu of %llu bytes free on the stand-in device", bytes,
                                   (unsigned long long)state().memory.freeBytes(), (unsigned long long)state().memory.total()));
    if (result != CUDA_SUCCESS) return result;
    state().memory.execAllocate(id, state().memory.block(id).generation, bytes);
    *pointer = state().memory.block(id).base;
    return CUDA_SUCCESS;
}

SA_API CUresult cuMemFree_v2(CUdeviceptr pointer)
{
    SA_ENTER_CONTEXT();
    if (int e = drain(nullptr)) return e;
    uint32_t id;
    if (state().memory.release(pointer, false, nullptr, &id) != CUDA_SUCCESS)
        return fail(CUDA_ERROR_INVALID_VALUE, format("cuMemFree(0x%llx): not the start of a live allocation (double free?)", (unsigned long long)pointer));
    state().memory.execFree(id, state().memory.block(id).generation);
    return CUDA_SUCCESS;
}

SA_API CUresult cuMemGetInfo_v2(size_t* free, size_t* total)
{
    SA_ENTER_CONTEXT();
    if (free == nullptr || total == nullptr) return CUDA_ERROR_INVALID_VALUE;
    *free = state().memory.freeBytes();
    *total = state().memory.total();
    return CUDA_SUCCESS;
}

SA_API CUresult cuMemcpyHtoDAsync_v2(CUdeviceptr d, const void* h, size_t n, CUstream s) { return queueCopy(d, (uint64_t)h, n, 0, s, false); }
SA_API CUresult cuMemcpyDtoHAsync_v2(void* h, CUdeviceptr d, size_t n, CUstream s) { return queueCopy((uint64_t)h, d, n, 1, s, false); }
SA_API CUresult cuMemcpyDtoDAsync_v2(CUdeviceptr d, CUdeviceptr src, size_t n, CUstream s) { return queueCopy(d, src, n, 2, s, false); }
SA_API CUresult cuMemcpyHtoD_v2(CUdeviceptr d, const void* h, size_t n) { return queueCopy(d, (uint64_t)h, n, 0, nullptr, true); }
SA_API CUresult cuMemcpyDtoH_v2(void* h, CUdeviceptr d, size_t n) { return queueCopy((uint64_t)h, d, n, 1, nullptr, true); }
SA_API CUresult cuMemcpyDtoD_v2(CUdeviceptr d, CUdeviceptr src, size_t n) { return queueCopy(d, src, n, 2, nullptr, true); }
SA_API CUresult cuMemsetD8Async(CUdeviceptr d, unsigned char v, size_t n, CUstream s) { return queueMemset(d, v, n, 1, s, false); }
SA_API CUresult cuMemsetD16Async(CUdeviceptr d, unsigned short v, size_t n, CUstream s) { return queueMemset(d, v, n, 2, s, false); }
SA_API CUresult cuMemsetD32Async(CUdeviceptr d, unsigned v, size_t n, CUstream s) { return queueMemset(d, v, n, 4, s, false); }
SA_API CUresult cuMemsetD8_v2(CUdeviceptr d, unsigned char v, size_t n) { return queueMemset(d, v, n, 1, nullptr, true); }
SA_API CUresult cuMemsetD32_v2(CUdeviceptr d, unsigned v, size_t n) { return queueMemset(d, v, n, 4, nullptr, true); }

SA_API CUresult cuMemHostAlloc(void** pointer, size_t bytes, unsigned flags)
{
    SA_ENTER_CONTEXT();
    (void)flags;
    if (pointer == nullptr || bytes == 0) return CUDA_ERROR_INVALID_VALUE;
    void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return CUDA_ERROR_OUT_OF_MEMORY;
    state().pinned[(uint64_t)p] = bytes;
    *pointer = p;
    return CUDA_SUCCESS;
}

SA_API CUresult cuMemAllocHost_v2(void** pointer, size_t bytes) { return cuMemHostAlloc(pointer, bytes, 0); }

SA_API CUresult cuMemFreeHost(void* pointer)
{
    SA_ENTER_INIT();
    auto& pinned = state().pinned;
    auto it = pinned.find((uint64_t)pointer);
    if (it == pinned.end()) return fail(CUDA_ERROR_INVALID_VALUE, "cuMemFreeHost: not a pointer from cuMemHostAlloc");
    bool touched = false;
    for (SaStream* s : state().streams)
        for (const auto& op : s->queue) touched |= op->touchesHost(it->first, it->second);
    if (touched) drain(nullptr); // freeing page-locked memory waits for the copies that use it
    munmap(pointer, it->second);
    pinned.erase(it);
    return CUDA_SUCCESS;
}

// ---- the stream-ordered pool ----------------------------------------------------------------------------------------------
SA_API CUresult cuDeviceGetDefaultMemPool(CUmemoryPool* pool, CUdevice device)
{
    SA_ENTER_INIT();
    if (pool == nullptr) return CUDA_ERROR_INVALID_VALUE;
    if (device != 0) return CUDA_ERROR_INVALID_DEVICE;
    *pool = SA_DEFAULT_POOL;
    return CUDA_SUCCESS;
}

SA_API CUresult cuMemPoolSetAttribute(CUmemoryPool pool, int attribute, void* value)
{
    SA_ENTER_INIT();
    if (pool != SA_DEFAULT_POOL) return CUDA_ERROR_INVALID_HANDLE;
    if (value == nullptr) return CUDA_ERROR_INVALID_VALUE;
    switch (attribute)
    {
        case CU_MEMPOOL_ATTR_RELEASE_THRESHOLD: state().releaseThreshold = *static_cast<uint64_t*>(value); return CUDA_SUCCESS;
        case CU_MEMPOOL_ATTR_REUSE_FOLLOW_EVENT_DEPENDENCIES:
        case CU_MEMPOOL_ATTR_REUSE_ALLOW_OPPORTUNISTIC:
        case CU_MEMPOOL_ATTR_REUSE_ALLOW_INTERNAL_DEPENDENCIES: return CUDA_SUCCESS;
        case CU_MEMPOOL_ATTR_RESERVED_MEM_HIGH:
        case CU_MEMPOOL_ATTR_USED_MEM_HIGH:
            if (*static_cast<uint64_t*>(value) != 0) return CUDA_ERROR_INVALID_VALUE;
            state().memory.resetPoolHighs();
            return CUDA_SUCCESS;
        default: return CUDA_ERROR_INVALID_VALUE;
    }
}

SA_API CUresult cuMemPoolGetAttribute(CUmemoryPool pool, int attribute, void* value)
{
    SA_ENTER_INIT();
    if (pool != SA_DEFAULT_POOL) return CUDA_ERROR_INVALID_HANDLE;
    if (value == nullptr) return CUDA_ERROR_INVALID_VALUE;
    auto* out = static_cast<uint64_t*>(value);
    const DeviceMemory& m = state().memory;
    switch (attribute)
    {
        case CU_MEMPOOL_ATTR_RELEASE_THRESHOLD: *out = state().releaseThreshold; return CUDA_SUCCESS;
        case CU_MEMPOOL_ATTR_RESERVED_MEM_CURRENT: *out = m.poolReserved(); return CUDA_SUCCESS;
        case CU_MEMPOOL_ATTR_RESERVED_MEM_HIGH: *out = m.poolReservedHigh(); return CUDA_SUCCESS;
        case CU_MEMPOOL_ATTR_USED_MEM_CURRENT: *out = m.poolUsed(); return CUDA_SUCCESS;
        case CU_MEMPOOL_ATTR_USED_MEM_HIGH: *out = m.poolUsedHigh(); return CUDA_SUCCESS;
        case CU_MEMPOOL_ATTR_REUSE_FOLLOW_EVENT_DEPENDENCIES:
        case CU_MEMPOOL_ATTR_REUSE_ALLOW_OPPORTUNISTIC:
        case CU_MEMPOOL_ATTR_REUSE_ALLOW_INTERNAL_DEPENDENCIES: *static_cast<int*>(value) = 1; return CUDA_SUCCESS;
        default: return CUDA_ERROR_INVALID_VALUE;
    }
}

SA_API CUresult cuMemPoolTrimTo(CUmemoryPool pool, size_t keepBytes)
{
    SA_ENTER_INIT();
    if (pool != SA_DEFAULT_POOL) return CUDA_ERROR_INVALID_HANDLE;
    state().memory.trimPool(keepBytes);
    return CUDA_SUCCESS;
}

// ---- checks for the cuBLAS stand-in --------------------------------------------------------------------------------------
// At execution: is [pointer, pointer+bytes) inside one live allocation? Raises the sticky error when not.
SA_API int sa_standin_check_device_range(uint64_t pointer, uint64_t bytes, const char* what)
{
    if (bytes == 0) return 1;
    if (!state().memory.contains(pointer))
    {
        const std::string message = format("%s: 0x%llx is not device memory", what, (unsigned long long)pointer);
        fprintf(stderr, "cuda-standin: CUDA_ERROR_ILLEGAL_ADDRESS: %s\n", message.c_str());
        raiseSticky(CUDA_ERROR_ILLEGAL_ADDRESS, message);
        return 0;
    }
    return execRangeOk(pointer, bytes, what, "operand") ? 1 : 0;
}

// At call time: is [pointer, pointer+bytes) inside one allocation the caller has not freed? 0 when it is.
SA_API int sa_standin_check_call_range(uint64_t pointer, uint64_t bytes, char* why, int whyLength)
{
    std::lock_guard<std::recursive_mutex> lock(state().api);
    std::string reason;
    if (bytes == 0 || state().memory.callRangeValid(pointer, bytes, &reason)) return 0;
    if (why != nullptr && whyLength > 0) snprintf(why, whyLength, "%s", reason.c_str());
    return 1;
}
