// exec.h — the block executor's internal state. One launch runs at a time, on the worker thread: blocks one after
// another (in a seeded order), each block's threads as fibers that switch only at barriers and warp collectives.
#pragma once
#include "standin.h"

#include <cstring>

extern "C" void sa_switch_context(void** save_stack_pointer, void* load_stack_pointer);
extern "C" void sa_fiber_start();

namespace sa::exec
{
enum class Status : uint8_t { Runnable, AtBarrier, InCollective, Exited };

struct PendingCopy
{
    uint32_t sharedOffset;
    unsigned char data[16];
};

struct Thread
{
    SaThreadState* visible = nullptr; // at the base of this fiber's stack
    void* stackPointer = nullptr;
    Status status = Status::Runnable;
    const char* waitFile = nullptr;
    int waitLine = 0;
    const char* waitWhat = nullptr;
    unsigned linear = 0, warp = 0, lane = 0;
    std::vector<PendingCopy> uncommitted;          // cp.async issued since the last commit_group
    std::deque<std::vector<PendingCopy>> groups;   // committed groups, oldest first
};

enum class CollectiveKind : uint8_t { None, Shuffle, Vote, SyncWarp, Mma, LdMatrix };

struct Collective
{
    CollectiveKind kind = CollectiveKind::None;
    unsigned mask = 0, arrived = 0;
    const char* file = nullptr;
    int line = 0;
    int mode = 0, width = 0, bytes = 0;
    const void* in[32];
    void* out[32];
    long long argument[32];
};

// One race-detection cell per byte of shared memory: who wrote it and who read it in the current barrier interval.
struct RaceCell
{
    uint32_t interval;
    int16_t writer, reader;
    uint16_t writerGeneration, readerGeneration;
    int16_t readerWarp; // the warp of every reader so far, or -1 when readers span warps
    uint8_t multipleReaders, pad;
};

struct SharedVariable
{
    int site; // -1 for the dynamic buffer
    uint32_t offset, bytes;
};

struct Executor
{
    // fixed resources
    unsigned char* fiberRegion = nullptr;
    uint64_t fiberRegionBytes = 0;
    unsigned char* arena = nullptr;
    uint64_t arenaCapacity = 0;
    std::vector<uint8_t> addressable, pending;
    std::vector<RaceCell> race;
    std::vector<Thread> threads;
    void* schedulerStackPointer = nullptr;
    uint32_t mxcsrAndControlWord[2] = {0x1f80, 0x037f};

    // the launch
    SaFunction* function = nullptr;
    const SaKernelEntry* entry = nullptr;
    LaunchConfig config{};
    void* const* arguments = nullptr;
    uint64_t launchNumber = 0;
    unsigned threadsPerBlock = 0, warps = 0;
    uint64_t sharedLimit = 0; // static + dynamic allowed for this launch

    // the block
    sa_uint3 blockIdx{};
    std::vector<unsigned> runQueue;
    size_t runHead = 0;
    Thread* running = nullptr;
    unsigned exited = 0, atBarrier = 0;
    uint32_t interval = 0;
    std::vector<uint16_t> warpGeneration;
    std::vector<Collective> collectives;
    std::vector<int64_t> siteOffsets;
    std::vector<SharedVariable> variables;
    uint64_t arenaUsed = 0, staticBytes = 0;
    bool aborted = false;
    int faultCode = CUDA_SUCCESS;
    std::string faultMessage;
    uint64_t randomState = 0;
};

Executor& executor();

inline Thread& self()
{
    unsigned long sp;
    asm volatile("mov %%rsp, %0" : "=r"(sp));
    return *static_cast<Thread*>(reinterpret_cast<SaThreadState*>(sp & ~(SA_FIBER_STACK_BYTES - 1))->runtime);
}

// Stops the block: records the fault (naming kernel, block and thread) and leaves the fiber for good.
[[noreturn]] void fault(int code, const std::string& what);
// The same, for a fault found on behalf of another lane (e.g. while completing a warp collective).
[[noreturn]] void faultFor(const Thread& culprit, int code, const std::string& what);
std::string threadName(const Thread& t);
std::string site(const char* file, int line);

// Leaves the current fiber for the scheduler; returns when the scheduler resumes it.
void yieldToScheduler(Thread& t);
void makeRunnable(Thread& t);
uint64_t nextRandom();

// checks.cpp
void sharedAccess(Thread& t, uint64_t offset, uint64_t bytes, bool write, const char* what);
void beginSharedForBlock();
void endSharedForBlock();
std::string describeShared(uint64_t offset);
void completeCopies(Thread& t, std::vector<PendingCopy>& copies);
const SaRuntimeApi& api();

// warp.cpp
void fillWarpApi(SaRuntimeApi& api);
} // namespace sa::exec
