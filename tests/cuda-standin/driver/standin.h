// standin.h — internal declarations of the driver stand-in: device memory, streams of queued work, modules and the
// block executor. One process-wide instance (sa::state()); API calls are serialized by its mutex and queued work is
// executed by one worker thread at synchronization points, so nothing here needs finer locking.
#pragma once
#include "cuda_api.h"
#include "../shim/sa_abi.h"

#include <condition_variable>
#include <cstdarg>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

struct SaStream;
struct SaEvent;
struct SaModule;
struct SaFunction;

namespace sa
{
std::string format(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
const char* error_name(int code);
const char* error_text(int code);

// ---- device memory -----------------------------------------------------------------------------------------------
// Allocations are carved from one reserved address range. Each carved block owns whole 256-byte granules (the
// driver's alignment) followed by one unaddressable guard granule; a table maps every granule to its block, so an
// access is checked with two loads. Blocks keep their identity while the pool caches them, so an access into freed
// memory names the allocation it belonged to.
enum class ExecState : uint8_t { Unborn, Live, Freed };
enum class CallState : uint8_t { Live, FreeQueued, Cached, Quarantined };

struct Block
{
    uint64_t base = 0;      // device address
    uint64_t span = 0;      // bytes of granules owned (excluding the guard granule)
    uint64_t size = 0;      // bytes requested by the current (or last) allocation, as execution sees it
    uint64_t callSize = 0;  // bytes requested, as the API caller sees it
    uint32_t generation = 0;     // allocations of this block so far, as the caller sees them
    uint32_t execGeneration = 0; // the allocation execution has reached
    bool pool = false;
    CallState call = CallState::Live;
    ExecState exec = ExecState::Unborn;
    SaStream* freeStream = nullptr; // the stream a FreeQueued pool block was freed on
};

class DeviceMemory
{
public:
    void initialize(uint64_t totalBytes);
    uint64_t total() const { return total_; }
    bool contains(uint64_t address) const { return address - base_ < regionBytes_; }

    // Call-time API (the caller's view). Return CUDA error codes.
    int allocate(uint64_t bytes, bool pool, SaStream* stream, uint32_t* blockId);
    int release(uint64_t pointer, bool pool, SaStream* stream, uint32_t* blockId);
    void trimPool(uint64_t keepBytes);
    uint64_t poolReserved() const { return poolReserved_; }
    uint64_t poolReservedHigh() const { return poolReservedHigh_; }
    uint64_t poolUsed() const { return poolUsed_; }
    uint64_t poolUsedHigh() const { return poolUsedHigh_; }
    void resetPoolHighs() { poolReservedHigh_ = poolReserved_; poolUsedHigh_ = poolUsed_; }
    uint64_t freeBytes() const;
    // True when [pointer, pointer+bytes) lies in one allocation that is live for the caller; else a reason.
    bool callRangeValid(uint64_t pointer, uint64_t bytes, std::string* why) const;

    // Execution-time view, applied when the queued allocate/free reaches the head of its stream.
    void execAllocate(uint32_t blockId, uint32_t generation, uint64_t size);
    void execFree(uint32_t blockId, uint32_t generation);
    // Empty when [address, address+bytes) is inside a live allocation; else what is wrong, in words.
    std::string execCheck(uint64_t address, uint64_t bytes) const;
    uint32_t blockAt(uint64_t address) const { return table_[(address - base_) >> GranuleShift]; }
    const Block& block(uint32_t id) const { return blocks_[id]; }
    uint32_t generation(uint32_t id) const { return blocks_[id].generation; }
    std::string describe(uint64_t address) const;

    static constexpr unsigned GranuleShift = 8;
    static constexpr uint64_t Granule = 1ull << GranuleShift;
    static constexpr uint8_t NewFill = 0xff;   // a NaN in every float format; -1 in every integer one
    static constexpr uint8_t FreedFill = 0xdb;

private:
    uint32_t newBlock(uint64_t span);
    void returnToFreeRanges(uint32_t id);
    bool carve(uint64_t span, uint64_t* base);
    void releaseQuarantine(uint64_t wanted);

    uint64_t total_ = 0, regionBytes_ = 0, base_ = 0, bump_ = 0;
    uint32_t* table_ = nullptr;
    std::vector<Block> blocks_{Block{}}; // id 0 = no block
    std::vector<uint32_t> freeIds_;
    std::map<uint64_t, uint64_t> freeRanges_;         // offset → bytes (spans + guard)
    std::multimap<uint64_t, uint32_t> poolCache_;     // span → block id (freed and executed, held by the pool)
    std::multimap<uint64_t, uint32_t> freeQueued_;    // span → block id (freed by the caller, not yet executed)
    std::deque<uint32_t> quarantine_;                 // freed blocks kept unaddressable for a while
    uint64_t committed_ = 0;                          // spans of live + pool-held blocks: what counts against total
    uint64_t poolReserved_ = 0, poolReservedHigh_ = 0, poolUsed_ = 0, poolUsedHigh_ = 0, quarantined_ = 0;
};

// ---- streams -------------------------------------------------------------------------------------------------------
struct Op
{
    virtual ~Op() = default;
    virtual void run() = 0;
    virtual bool touchesHost(uint64_t, uint64_t) const { return false; }
    // Allocation bookkeeping still runs after a fault (work is dropped), so stream-ordered allocations stay consistent
    // for a test that clears the sticky error and goes on.
    virtual bool bookkeeping() const { return false; }
};

class Worker
{
public:
    void start();
    void run(const std::function<void()>& job); // runs job on the worker thread and waits for it
private:
    static void* main(void* self);
    std::mutex mutex_;
    std::condition_variable wake_, done_;
    const std::function<void()>* job_ = nullptr;
    bool finished_ = false;
};

// ---- modules -------------------------------------------------------------------------------------------------------
struct LaunchConfig
{
    unsigned grid[3];
    unsigned block[3];
    unsigned dynamicShared;
};

std::string kernelSignature(const SaKernelEntry& entry); // "(long long, const float*, …)"

// ---- the executor (exec.cpp, checks.cpp, warp.cpp) ----------------------------------------------------------------
void executeLaunch(SaFunction* function, const LaunchConfig& config, std::vector<unsigned char>& parameters,
                   std::vector<void*>& parameterPointers, uint64_t launchNumber);
const SaRuntimeApi* runtimeApi();
void initializeExecutor();

// ---- process state ----------------------------------------------------------------------------------------------------
struct State
{
    std::recursive_mutex api;
    bool initialized = false;
    int sticky = CUDA_SUCCESS;
    std::string stickyMessage;
    int lastError = CUDA_SUCCESS;
    std::string lastDetail;
    DeviceMemory memory;
    std::vector<SaStream*> streams; // [0] is the NULL (legacy default) stream
    Worker worker;
    uint64_t seed = 1;
    uint64_t launches = 0;
    uint64_t releaseThreshold = 0;
    std::map<uint64_t, uint64_t> pinned; // host base → bytes
    int contextRefs = 0;
    std::vector<std::pair<uint64_t, uint64_t>> moduleRanges; // loaded module segments: kernel code may read them
};

State& state();

// Records a fault raised while executing queued work: it becomes the sticky error every later call returns.
void raiseSticky(int code, const std::string& message);
// Records the detail of an error a call returns now (not sticky); cuGetErrorString appends it.
int fail(int code, const std::string& detail);
// Runs every queued operation of one stream (or all with nullptr) on the worker; returns the sticky error, if any.
int drain(SaStream* stream);
void enqueue(SaStream* stream, std::unique_ptr<Op> op);
SaStream* resolveStream(CUstream stream, int* error);
void applyReleaseThreshold();
} // namespace sa

struct SaStream
{
    std::deque<std::unique_ptr<sa::Op>> queue;
    unsigned flags = 0;
};

struct SaEvent
{
    SaStream* stream = nullptr;
    uint64_t token = 0;      // which record is the latest
    bool recorded = false;
    bool completed = false;
    double milliseconds = 0;
};

struct SaFunction
{
    SaModule* module = nullptr;
    const SaKernelEntry* entry = nullptr;
    int maxDynamicShared = 0; // CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES
};

struct SaModule
{
    void* handle = nullptr;
    SaModuleInfo info{};
    std::vector<std::unique_ptr<SaFunction>> functions;
    std::vector<std::pair<uint64_t, uint64_t>> ranges;
};
