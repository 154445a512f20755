// exec.cpp — runs one kernel launch: every block in a seeded order, each block's threads as fibers. A fiber runs
// until it reaches a barrier or a warp collective (or exits); the scheduler then runs the next runnable thread. At the
// start of every barrier interval the order of the threads is shuffled by the seed, so results that depend on the
// order between barriers differ from run to run of different seeds, while any one seed is reproducible.
#include "exec.h"

#include <sys/mman.h>

namespace sa::exec
{
namespace
{
constexpr unsigned MaxThreads = 1024;
constexpr uint64_t GuardOffset = 4096; // one page for SaThreadState, then a guard page, then the stack

void fiberMain(Thread* t)
{
    Executor& e = executor();
    e.entry->invoke(e.entry->function, e.arguments);
    t->status = Status::Exited;
    e.exited++;
    sa_switch_context(&t->stackPointer, e.schedulerStackPointer);
    __builtin_unreachable();
}

void prepareFiber(Executor& e, Thread& t)
{
    unsigned char* top = reinterpret_cast<unsigned char*>(t.visible) + SA_FIBER_STACK_BYTES;
    uint64_t* frame = reinterpret_cast<uint64_t*>(top - 80);
    std::memcpy(frame, e.mxcsrAndControlWord, 8);
    frame[1] = 0;                                   // r15
    frame[2] = 0;                                   // r14
    frame[3] = reinterpret_cast<uint64_t>(&fiberMain); // r13: the function sa_fiber_start calls
    frame[4] = reinterpret_cast<uint64_t>(&t);      // r12: its argument
    frame[5] = 0;                                   // rbx
    frame[6] = 0;                                   // rbp
    frame[7] = reinterpret_cast<uint64_t>(&sa_fiber_start);
    t.stackPointer = frame;
}

void shuffleRunQueue(Executor& e)
{
    e.runQueue.clear();
    e.runHead = 0;
    for (unsigned i = 0; i < e.threadsPerBlock; ++i)
        if (e.threads[i].status == Status::Runnable) e.runQueue.push_back(i);
    for (size_t i = e.runQueue.size(); i > 1; --i) std::swap(e.runQueue[i - 1], e.runQueue[nextRandom() % i]);
}

std::string dim(const sa_uint3& d) { return format("(%u,%u,%u)", d.x, d.y, d.z); }

// Nothing is runnable: either every thread waits at one barrier (release it), or the block cannot go on.
bool releaseBarrierOrFault(Executor& e)
{
    const unsigned n = e.threadsPerBlock;
    std::string problem;
    const Thread* firstWaiting = nullptr;
    for (unsigned i = 0; i < n; ++i)
        if (e.threads[i].status == Status::AtBarrier && firstWaiting == nullptr) firstWaiting = &e.threads[i];
    const Thread* firstCollective = nullptr;
    for (unsigned i = 0; i < n; ++i)
        if (e.threads[i].status == Status::InCollective && firstCollective == nullptr) firstCollective = &e.threads[i];

    if (firstCollective != nullptr)
    {
        const Thread& c = *firstCollective;
        const Collective& slot = e.collectives[c.warp];
        std::string missing;
        for (unsigned lane = 0; lane < 32; ++lane)
        {
            if (!(slot.mask & (1u << lane)) || (slot.arrived & (1u << lane))) continue;
            const unsigned index = c.warp * 32 + lane;
            if (!missing.empty()) missing += "; ";
            if (index >= n) missing += format("lane %u does not exist (the block has %u threads)", lane, n);
            else if (e.threads[index].status == Status::Exited) missing += format("lane %u has exited", lane);
            else if (e.threads[index].status == Status::AtBarrier)
                missing += format("lane %u waits at __syncthreads() at %s", lane, site(e.threads[index].waitFile, e.threads[index].waitLine).c_str());
            else missing += format("lane %u waits elsewhere", lane);
        }
        e.running = const_cast<Thread*>(firstCollective);
        e.aborted = true;
        e.faultCode = CUDA_ERROR_LAUNCH_FAILED;
        e.faultMessage = format("kernel %s, block %s, thread %s: warp %u never completes %s at %s (mask 0x%08x): %s",
                                e.entry->name, dim(e.blockIdx).c_str(), dim(c.visible->threadIdx).c_str(), c.warp, c.waitWhat,
                                site(c.waitFile, c.waitLine).c_str(), slot.mask, missing.c_str());
        return false;
    }
    if (firstWaiting == nullptr) return false; // all exited
    if (e.exited > 0)
    {
        const Thread* gone = nullptr;
        for (unsigned i = 0; i < n && gone == nullptr; ++i)
            if (e.threads[i].status == Status::Exited) gone = &e.threads[i];
        e.aborted = true;
        e.faultCode = CUDA_ERROR_LAUNCH_FAILED;
        e.faultMessage = format("kernel %s, block %s: __syncthreads() at %s is not reached by every thread of the block: "
                                "%u of %u threads had exited (first: thread %s), a barrier on a real GPU then hangs or "
                                "misbehaves", e.entry->name, dim(e.blockIdx).c_str(),
                                site(firstWaiting->waitFile, firstWaiting->waitLine).c_str(), e.exited, n,
                                dim(gone->visible->threadIdx).c_str());
        return false;
    }
    for (unsigned i = 0; i < n; ++i)
    {
        const Thread& t = e.threads[i];
        if (t.waitLine != firstWaiting->waitLine || std::strcmp(t.waitFile, firstWaiting->waitFile) != 0)
        {
            e.aborted = true;
            e.faultCode = CUDA_ERROR_LAUNCH_FAILED;
            e.faultMessage = format("kernel %s, block %s: threads wait at different barriers: thread %s at %s, thread %s at %s "
                                    "(divergent __syncthreads())", e.entry->name, dim(e.blockIdx).c_str(),
                                    dim(firstWaiting->visible->threadIdx).c_str(),
                                    site(firstWaiting->waitFile, firstWaiting->waitLine).c_str(),
                                    dim(t.visible->threadIdx).c_str(), site(t.waitFile, t.waitLine).c_str());
            return false;
        }
    }
    for (unsigned i = 0; i < n; ++i) e.threads[i].status = Status::Runnable;
    e.atBarrier = 0;
    e.interval++;
    shuffleRunQueue(e);
    return true;
}

void runBlock(Executor& e)
{
    const unsigned n = e.threadsPerBlock;
    const sa_uint3 blockDim{e.config.block[0], e.config.block[1], e.config.block[2]};
    const sa_uint3 gridDim{e.config.grid[0], e.config.grid[1], e.config.grid[2]};
    for (unsigned i = 0; i < n; ++i)
    {
        Thread& t = e.threads[i];
        SaThreadState* v = t.visible;
        v->threadIdx = sa_uint3{i % blockDim.x, (i / blockDim.x) % blockDim.y, i / (blockDim.x * blockDim.y)};
        v->blockIdx = e.blockIdx;
        v->blockDim = blockDim;
        v->gridDim = gridDim;
        v->linear = i;
        v->lane = i % 32;
        v->warp = i / 32;
        t.linear = i;
        t.lane = i % 32;
        t.warp = i / 32;
        t.status = Status::Runnable;
        t.waitFile = nullptr;
        t.waitLine = 0;
        t.uncommitted.clear();
        t.groups.clear();
        prepareFiber(e, t);
    }
    for (unsigned w = 0; w < e.warps; ++w) e.collectives[w] = Collective{};
    e.exited = 0;
    e.atBarrier = 0;
    e.interval++;
    beginSharedForBlock();
    shuffleRunQueue(e);
    for (;;)
    {
        while (e.runHead < e.runQueue.size())
        {
            Thread& t = e.threads[e.runQueue[e.runHead++]];
            if (t.status != Status::Runnable) continue;
            e.running = &t;
            sa_switch_context(&e.schedulerStackPointer, t.stackPointer);
            e.running = nullptr;
            if (e.aborted) break;
        }
        if (e.aborted || e.exited == n) break;
        if (!releaseBarrierOrFault(e)) break;
    }
    endSharedForBlock();
}

// Visits 0..count-1 exactly once in a seeded order: i·step + offset (mod count) with step coprime to count.
struct BlockOrder
{
    uint64_t count, step, offset;
    explicit BlockOrder(uint64_t n) : count(n), step(1), offset(0)
    {
        if (n <= 1) return;
        offset = nextRandom() % n;
        for (int attempt = 0; attempt < 64; ++attempt)
        {
            const uint64_t candidate = 1 + nextRandom() % (n - 1);
            uint64_t a = candidate, b = n;
            while (b != 0) { const uint64_t r = a % b; a = b; b = r; }
            if (a == 1) { step = candidate; break; }
        }
    }
    uint64_t operator[](uint64_t i) const { return (uint64_t)(((unsigned __int128)i * step + offset) % count); }
};
} // namespace

Executor& executor()
{
    static Executor* instance = new Executor();
    return *instance;
}

uint64_t nextRandom()
{
    uint64_t& x = executor().randomState;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return x;
}

std::string site(const char* file, int line) { return file == nullptr ? std::string("?") : format("%s:%d", file, line); }

std::string threadName(const Thread& t)
{
    const Executor& e = executor();
    return format("kernel %s, block %s, thread %s", e.entry->name, dim(e.blockIdx).c_str(), dim(t.visible->threadIdx).c_str());
}

void faultFor(const Thread& culprit, int code, const std::string& what)
{
    Executor& e = executor();
    e.aborted = true;
    e.faultCode = code;
    e.faultMessage = threadName(culprit) + ": " + what;
    Thread& t = self();
    sa_switch_context(&t.stackPointer, e.schedulerStackPointer);
    __builtin_unreachable();
}

void fault(int code, const std::string& what) { faultFor(self(), code, what); }

void yieldToScheduler(Thread& t) { sa_switch_context(&t.stackPointer, executor().schedulerStackPointer); }

void makeRunnable(Thread& t)
{
    Executor& e = executor();
    t.status = Status::Runnable;
    e.runQueue.push_back(t.linear);
}
} // namespace sa::exec

namespace sa
{
using namespace exec;

void initializeExecutor()
{
    Executor& e = executor();
    if (e.fiberRegion != nullptr) return;
    e.fiberRegionBytes = (uint64_t)MaxThreads * SA_FIBER_STACK_BYTES;
    const uint64_t reserve = e.fiberRegionBytes + SA_FIBER_STACK_BYTES;
    auto* raw = static_cast<unsigned char*>(mmap(nullptr, reserve, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0));
    if (raw == MAP_FAILED)
    {
        fprintf(stderr, "cuda-standin: cannot reserve fiber stacks\n");
        abort();
    }
    e.fiberRegion = reinterpret_cast<unsigned char*>(((uint64_t)raw + SA_FIBER_STACK_BYTES - 1) & ~(SA_FIBER_STACK_BYTES - 1));
    e.threads.resize(MaxThreads);
    for (unsigned i = 0; i < MaxThreads; ++i)
    {
        unsigned char* base = e.fiberRegion + (uint64_t)i * SA_FIBER_STACK_BYTES;
        mprotect(base + GuardOffset, 4096, PROT_NONE); // a stack overflow hits this page, not the thread state
        e.threads[i].visible = reinterpret_cast<SaThreadState*>(base);
        e.threads[i].visible->runtime = &e.threads[i];
    }
    e.arenaCapacity = limits::SharedPerBlockOptin + (96u << 10);
    e.arena = static_cast<unsigned char*>(mmap(nullptr, e.arenaCapacity + 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    e.addressable.assign(e.arenaCapacity, 0);
    e.pending.assign(e.arenaCapacity, 0);
    e.race.assign(e.arenaCapacity, RaceCell{});
    e.warpGeneration.assign(MaxThreads / 32, 0);
    e.collectives.assign(MaxThreads / 32, Collective{});
    e.runQueue.reserve(4 * MaxThreads);
    asm volatile("stmxcsr %0" : "=m"(e.mxcsrAndControlWord[0]));
    uint16_t control;
    asm volatile("fnstcw %0" : "=m"(control));
    e.mxcsrAndControlWord[1] = control;
}

void executeLaunch(SaFunction* function, const LaunchConfig& config, std::vector<unsigned char>&, std::vector<void*>& pointers,
                   uint64_t launchNumber)
{
    Executor& e = executor();
    e.function = function;
    e.entry = function->entry;
    e.config = config;
    e.arguments = pointers.data();
    e.launchNumber = launchNumber;
    e.threadsPerBlock = config.block[0] * config.block[1] * config.block[2];
    e.warps = (e.threadsPerBlock + 31) / 32;
    e.sharedLimit = function->maxDynamicShared > 0 ? limits::SharedPerBlockOptin : limits::SharedPerBlock;
    e.siteOffsets.assign(function->module->info.shared_site_count, -1);
    e.aborted = false;
    e.faultCode = CUDA_SUCCESS;
    e.faultMessage.clear();
    e.randomState = (state().seed * 0x9E3779B97F4A7C15ull) ^ (launchNumber * 0xBF58476D1CE4E5B9ull) ^ 0x94D049BB133111EBull;
    if (e.randomState == 0) e.randomState = 1;

    const uint64_t gx = config.grid[0], gy = config.grid[1], gz = config.grid[2];
    const BlockOrder order(gx * gy * gz);
    for (uint64_t i = 0; i < order.count && !e.aborted; ++i)
    {
        const uint64_t b = order[i];
        e.blockIdx = sa_uint3{(unsigned)(b % gx), (unsigned)((b / gx) % gy), (unsigned)(b / (gx * gy))};
        runBlock(e);
    }
    if (e.aborted)
    {
        fprintf(stderr, "cuda-standin: %s: %s\n", error_name(e.faultCode), e.faultMessage.c_str());
        raiseSticky(e.faultCode, e.faultMessage);
    }
}
} // namespace sa
