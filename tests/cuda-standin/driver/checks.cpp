// checks.cpp — what kernel code calls for every memory access (through the sanitizer hooks of cuda_shim.h) and for
// shared memory: bounds of device allocations (live, not freed), bounds of shared variables, deterministic race
// detection per barrier interval, misaligned vector accesses, cp.async, atomics and __syncthreads.
#include "exec.h"

#include <chrono>

namespace sa::exec
{
namespace
{
constexpr uint32_t SharedGap = 32; // unaddressable bytes between shared variables, to catch small overruns

const char* accessWord(bool write) { return write ? "store" : "load"; }

std::string variableName(const SharedVariable& v)
{
    const Executor& e = executor();
    if (v.site < 0) return "the dynamic shared buffer (extern __shared__)";
    const SaSharedSite& s = e.function->module->info.shared_sites[v.site];
    return format("__shared__ %s (%s:%d)", s.name, s.file, s.line);
}

bool ordered(int other, uint16_t otherGeneration, const Thread& t)
{
    if (other == (int)t.linear) return true;
    return (unsigned)other / 32 == t.warp && executor().warpGeneration[t.warp] != otherGeneration;
}

[[noreturn]] void race(const Thread& t, uint64_t offset, bool write, int other, bool otherWrote)
{
    const Executor& e = executor();
    const Thread& o = e.threads[other < 0 ? 0 : other];
    fault(CUDA_ERROR_LAUNCH_FAILED,
          format("shared-memory race at %s: this thread %ss it while thread (%u,%u,%u) %s it in the same barrier interval "
                 "(no __syncthreads() between them)",
                 describeShared(offset).c_str(), write ? "write" : "read", o.visible->threadIdx.x, o.visible->threadIdx.y,
                 o.visible->threadIdx.z, otherWrote ? "wrote" : "read"));
    (void)t;
}

void access(unsigned long address, unsigned long bytes, int isWrite)
{
    State& s = state();
    if (s.memory.contains(address))
    {
        const uint32_t id = s.memory.blockAt(address);
        if (id != 0)
        {
            const Block& b = s.memory.block(id);
            if (b.exec == ExecState::Live && address + bytes <= b.base + b.size) return;
        }
        fault(CUDA_ERROR_ILLEGAL_ADDRESS, format("%lu-byte global %s at 0x%lx %s", bytes, accessWord(isWrite), address,
                                                 s.memory.execCheck(address, bytes).c_str()));
    }
    Executor& e = executor();
    const uint64_t sharedOffset = address - (uint64_t)e.arena;
    if (sharedOffset < e.arenaCapacity)
    {
        sharedAccess(self(), sharedOffset, bytes, isWrite != 0, "access");
        return;
    }
    if (address - (uint64_t)e.fiberRegion < e.fiberRegionBytes) return; // the thread's own stack (locals, parameters)
    if (address < 65536)
        fault(CUDA_ERROR_ILLEGAL_ADDRESS, format("%lu-byte %s at 0x%lx: a null (or near-null) pointer", bytes, accessWord(isWrite), address));
    for (const auto& range : s.moduleRanges)
        if (address >= range.first && address + bytes <= range.second) return; // the module's own constants
    fault(CUDA_ERROR_ILLEGAL_ADDRESS, format("%lu-byte %s at 0x%lx: not device memory (a host pointer, or a wild one)", bytes,
                                             accessWord(isWrite), address));
}

struct UbsanLocation
{
    const char* file;
    uint32_t line, column;
};
struct UbsanType
{
    uint16_t kind, info;
    char name[1];
};
struct UbsanMismatch
{
    UbsanLocation location;
    const UbsanType* type;
    unsigned char logAlignment;
    unsigned char checkKind;
};

void misaligned(const void* data, unsigned long address)
{
    static const char* const kinds[] = {"load of", "store to", "reference binding to", "member access within",
                                        "member call on", "constructor call on", "downcast of", "downcast of",
                                        "upcast of", "cast to virtual base of", "binding to", "dynamic operation on"};
    const auto* d = static_cast<const UbsanMismatch*>(data);
    const char* kind = d->checkKind < sizeof(kinds) / sizeof(kinds[0]) ? kinds[d->checkKind] : "access to";
    fault(CUDA_ERROR_MISALIGNED_ADDRESS,
          format("misaligned address 0x%lx: %s %s needs %u-byte alignment (%s:%u)", address, kind, d->type->name,
                 1u << d->logAlignment, d->location.file, d->location.line));
}

void syncthreads(const char* file, int line)
{
    Thread& t = self();
    Executor& e = executor();
    t.status = Status::AtBarrier;
    t.waitFile = file;
    t.waitLine = line;
    t.waitWhat = "__syncthreads()";
    e.atBarrier++;
    yieldToScheduler(t);
}

void* sharedStatic(int site, unsigned long bytes, unsigned long alignment)
{
    Executor& e = executor();
    if (site < 0 || (size_t)site >= e.siteOffsets.size()) fault(CUDA_ERROR_LAUNCH_FAILED, format("unknown __shared__ site %d", site));
    if (e.siteOffsets[site] >= 0) return e.arena + e.siteOffsets[site];
    if (alignment < 16) alignment = 16;
    const uint64_t offset = (e.arenaUsed + SharedGap + alignment - 1) / alignment * alignment;
    e.staticBytes += bytes;
    const SaSharedSite& s = e.function->module->info.shared_sites[site];
    if (e.staticBytes > limits::SharedPerBlock)
        fault(CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES,
              format("static shared memory of the block reaches %llu bytes with __shared__ %s (%s:%d); the limit is %lu",
                     (unsigned long long)e.staticBytes, s.name, s.file, s.line, limits::SharedPerBlock));
    if (e.staticBytes + e.config.dynamicShared > e.sharedLimit)
        fault(CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES,
              format("static (%llu) plus dynamic (%u) shared memory exceed the %llu bytes this launch may use%s",
                     (unsigned long long)e.staticBytes, e.config.dynamicShared, (unsigned long long)e.sharedLimit,
                     e.sharedLimit == limits::SharedPerBlock ? " (raise CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES)" : ""));
    if (offset + bytes > e.arenaCapacity) fault(CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES, "shared memory arena exhausted");
    std::fill(e.addressable.begin() + offset, e.addressable.begin() + offset + bytes, 1);
    std::memset(e.arena + offset, 0xff, bytes); // uninitialized shared memory reads as NaN
    e.arenaUsed = offset + bytes;
    e.siteOffsets[site] = (int64_t)offset;
    e.variables.push_back(SharedVariable{site, (uint32_t)offset, (uint32_t)bytes});
    return e.arena + offset;
}

void* sharedDynamic(unsigned long alignment)
{
    (void)alignment; // the buffer starts the arena, which is page-aligned
    return executor().arena;
}

unsigned long long atomic(int op, void* address, unsigned long long operand, unsigned long long compare, const char* file, int line)
{
    const unsigned bytes = (op == SA_ATOMIC_ADD_U64 || op == SA_ATOMIC_ADD_F64 || op == SA_ATOMIC_EXCH_64 || op == SA_ATOMIC_CAS_64) ? 8 : 4;
    const uint64_t a = (uint64_t)address;
    if (a % bytes != 0)
        fault(CUDA_ERROR_MISALIGNED_ADDRESS, format("misaligned %u-byte atomic at 0x%llx (%s)", bytes, (unsigned long long)a, site(file, line).c_str()));
    State& s = state();
    Executor& e = executor();
    if (s.memory.contains(a))
    {
        const std::string why = s.memory.execCheck(a, bytes);
        if (!why.empty()) fault(CUDA_ERROR_ILLEGAL_ADDRESS, format("%u-byte atomic at 0x%llx %s (%s)", bytes, (unsigned long long)a, why.c_str(), site(file, line).c_str()));
    }
    else if (a - (uint64_t)e.arena < e.arenaCapacity)
    {
        const uint64_t offset = a - (uint64_t)e.arena;
        for (unsigned i = 0; i < bytes; ++i)
            if (!e.addressable[offset + i])
                fault(CUDA_ERROR_ILLEGAL_ADDRESS, format("%u-byte shared atomic at %s is out of bounds (%s)", bytes, describeShared(offset).c_str(), site(file, line).c_str()));
    }
    else
        fault(CUDA_ERROR_ILLEGAL_ADDRESS, format("%u-byte atomic at 0x%llx: not device or shared memory (%s)", bytes, (unsigned long long)a, site(file, line).c_str()));

    auto* p32 = static_cast<uint32_t*>(address);
    auto* p64 = static_cast<uint64_t*>(address);
    const auto f32 = [](uint32_t b) { float f; std::memcpy(&f, &b, 4); return f; };
    const auto b32 = [](float f) { uint32_t b; std::memcpy(&b, &f, 4); return b; };
    const auto f64 = [](uint64_t b) { double f; std::memcpy(&f, &b, 8); return f; };
    const auto b64 = [](double f) { uint64_t b; std::memcpy(&b, &f, 8); return b; };
    const uint32_t o32 = (uint32_t)operand;
    uint64_t old = bytes == 8 ? *p64 : *p32;
    switch (op)
    {
        case SA_ATOMIC_ADD_I32: case SA_ATOMIC_ADD_U32: *p32 = (uint32_t)old + o32; break;
        case SA_ATOMIC_ADD_U64: *p64 = old + operand; break;
        case SA_ATOMIC_ADD_F32: *p32 = b32(f32((uint32_t)old) + f32(o32)); break;
        case SA_ATOMIC_ADD_F64: *p64 = b64(f64(old) + f64(operand)); break;
        case SA_ATOMIC_MAX_I32: *p32 = (uint32_t)std::max((int32_t)old, (int32_t)o32); break;
        case SA_ATOMIC_MIN_I32: *p32 = (uint32_t)std::min((int32_t)old, (int32_t)o32); break;
        case SA_ATOMIC_MAX_U32: *p32 = std::max((uint32_t)old, o32); break;
        case SA_ATOMIC_MIN_U32: *p32 = std::min((uint32_t)old, o32); break;
        case SA_ATOMIC_EXCH_32: *p32 = o32; break;
        case SA_ATOMIC_EXCH_64: *p64 = operand; break;
        case SA_ATOMIC_CAS_32: if ((uint32_t)old == (uint32_t)compare) *p32 = o32; break;
        case SA_ATOMIC_CAS_64: if (old == compare) *p64 = operand; break;
        case SA_ATOMIC_AND_32: *p32 = (uint32_t)old & o32; break;
        case SA_ATOMIC_OR_32: *p32 = (uint32_t)old | o32; break;
        case SA_ATOMIC_XOR_32: *p32 = (uint32_t)old ^ o32; break;
        default: fault(CUDA_ERROR_ILLEGAL_INSTRUCTION, format("unknown atomic operation %d", op));
    }
    return old;
}

void cpAsync(void* shared, const void* global, int bytes, int sourceBytes, const char* file, int line)
{
    Executor& e = executor();
    Thread& t = self();
    const uint64_t offset = (uint64_t)shared - (uint64_t)e.arena;
    if (bytes != 16) fault(CUDA_ERROR_ILLEGAL_INSTRUCTION, format("cp.async.cg of %d bytes at %s: .cg copies 16", bytes, site(file, line).c_str()));
    if (sourceBytes < 0 || sourceBytes > bytes)
        fault(CUDA_ERROR_ILLEGAL_INSTRUCTION, format("cp.async source size %d outside [0, %d] at %s", sourceBytes, bytes, site(file, line).c_str()));
    if (offset >= e.arenaCapacity)
        fault(CUDA_ERROR_ILLEGAL_ADDRESS, format("cp.async destination %p is not shared memory (%s)", shared, site(file, line).c_str()));
    if (offset % 16 != 0 || (uint64_t)global % 16 != 0)
        fault(CUDA_ERROR_MISALIGNED_ADDRESS, format("cp.async needs 16-byte aligned addresses: shared %s, global 0x%llx (%s)",
                                                    describeShared(offset).c_str(), (unsigned long long)global, site(file, line).c_str()));
    for (int i = 0; i < bytes; ++i)
        if (!e.addressable[offset + i])
            fault(CUDA_ERROR_ILLEGAL_ADDRESS, format("cp.async writes outside shared memory: %s (%s)", describeShared(offset + i).c_str(), site(file, line).c_str()));
    PendingCopy copy{(uint32_t)offset, {}};
    if (sourceBytes > 0)
    {
        const std::string why = state().memory.contains((uint64_t)global) ? state().memory.execCheck((uint64_t)global, sourceBytes)
                                                                          : std::string("is not device memory");
        if (!why.empty())
            fault(CUDA_ERROR_ILLEGAL_ADDRESS, format("cp.async reads %d bytes at 0x%llx that %s (%s)", sourceBytes,
                                                     (unsigned long long)global, why.c_str(), site(file, line).c_str()));
        std::memcpy(copy.data, global, sourceBytes);
    }
    for (int i = 0; i < bytes; ++i) e.pending[offset + i]++;
    t.uncommitted.push_back(copy);
}

void cpAsyncCommit()
{
    Thread& t = self();
    t.groups.push_back(std::move(t.uncommitted));
    t.uncommitted.clear();
}

void cpAsyncWait(int pendingGroups, const char*, int)
{
    Thread& t = self();
    while (t.groups.size() > (size_t)std::max(pendingGroups, 0))
    {
        completeCopies(t, t.groups.front());
        t.groups.pop_front();
    }
}

unsigned cvtaToShared(const void* address, const char* file, int line)
{
    const uint64_t offset = (uint64_t)address - (uint64_t)executor().arena;
    if (offset >= executor().arenaCapacity)
        fault(CUDA_ERROR_ILLEGAL_ADDRESS, format("cvta.to.shared of %p, which is not a shared-memory address (%s)", address, site(file, line).c_str()));
    return (unsigned)offset;
}

void trap(const char* what, const char* file, int line) { fault(CUDA_ERROR_LAUNCH_FAILED, format("%s at %s", what, site(file, line).c_str())); }

long long clockNow() { return std::chrono::steady_clock::now().time_since_epoch().count(); }
} // namespace

void completeCopies(Thread& t, std::vector<PendingCopy>& copies)
{
    Executor& e = executor();
    for (const PendingCopy& c : copies)
    {
        for (int i = 0; i < 16; ++i) e.pending[c.sharedOffset + i]--;
        sharedAccess(t, c.sharedOffset, 16, true, "cp.async completion");
        std::memcpy(e.arena + c.sharedOffset, c.data, 16);
    }
}

std::string describeShared(uint64_t offset)
{
    const Executor& e = executor();
    const SharedVariable* best = nullptr;
    for (const SharedVariable& v : e.variables)
    {
        if (offset >= v.offset && offset < (uint64_t)v.offset + v.bytes)
            return format("%s + %llu", variableName(v).c_str(), (unsigned long long)(offset - v.offset));
        if (v.offset <= offset && (best == nullptr || v.offset > best->offset)) best = &v;
    }
    if (best != nullptr)
        return format("shared offset %llu, %llu bytes past the end of %s (%u bytes)", (unsigned long long)offset,
                      (unsigned long long)(offset - best->offset - best->bytes), variableName(*best).c_str(), best->bytes);
    return format("shared offset %llu, outside every shared variable", (unsigned long long)offset);
}

void sharedAccess(Thread& t, uint64_t offset, uint64_t bytes, bool write, const char* what)
{
    Executor& e = executor();
    if (offset + bytes > e.arenaCapacity) fault(CUDA_ERROR_ILLEGAL_ADDRESS, format("shared %s beyond the arena", what));
    for (uint64_t i = 0; i < bytes; ++i)
        if (!e.addressable[offset + i])
            faultFor(t, CUDA_ERROR_ILLEGAL_ADDRESS, format("%llu-byte shared %s%s%s is out of bounds: %s", (unsigned long long)bytes,
                                                           accessWord(write), std::strcmp(what, "access") == 0 ? "" : " by ",
                                                           std::strcmp(what, "access") == 0 ? "" : what, describeShared(offset + i).c_str()));
    const uint16_t generation = e.warpGeneration[t.warp];
    for (uint64_t i = 0; i < bytes; ++i)
    {
        const uint64_t b = offset + i;
        if (e.pending[b] != 0 && std::strcmp(what, "cp.async completion") != 0)
            faultFor(t, CUDA_ERROR_LAUNCH_FAILED, format("shared %s of %s while a cp.async into it is still in flight "
                                                         "(missing cp.async.wait_group before the access)",
                                                         accessWord(write), describeShared(b).c_str()));
        RaceCell& c = e.race[b];
        if (c.interval != e.interval) c = RaceCell{e.interval, -1, -1, 0, 0, -1, 0, 0};
        if (c.writer >= 0 && !ordered(c.writer, c.writerGeneration, t)) race(t, b, write, c.writer, true);
        if (write)
        {
            if (c.reader >= 0)
            {
                const bool readersOrdered = c.multipleReaders
                    ? (c.readerWarp == (int)t.warp && e.warpGeneration[t.warp] != c.readerGeneration)
                    : ordered(c.reader, c.readerGeneration, t);
                if (!readersOrdered) race(t, b, true, c.reader, false);
            }
            c.writer = (int16_t)t.linear;
            c.writerGeneration = generation;
            c.reader = -1;
            c.multipleReaders = 0;
        }
        else if (c.reader < 0)
        {
            c.reader = (int16_t)t.linear;
            c.readerGeneration = generation;
            c.readerWarp = (int16_t)t.warp;
        }
        else if (c.reader != (int)t.linear)
        {
            if (c.readerWarp != (int)t.warp) c.readerWarp = -1;
            if (!c.multipleReaders || generation < c.readerGeneration) c.readerGeneration = std::min(c.readerGeneration, generation);
            c.multipleReaders = 1;
        }
    }
}

void beginSharedForBlock()
{
    Executor& e = executor();
    e.variables.clear();
    std::fill(e.siteOffsets.begin(), e.siteOffsets.end(), -1);
    e.staticBytes = 0;
    const uint64_t dynamic = e.config.dynamicShared;
    if (dynamic > 0)
    {
        std::fill(e.addressable.begin(), e.addressable.begin() + dynamic, 1);
        std::memset(e.arena, 0xff, dynamic);
        e.variables.push_back(SharedVariable{-1, 0, (uint32_t)dynamic});
    }
    e.arenaUsed = dynamic;
}

void endSharedForBlock()
{
    Executor& e = executor();
    const uint64_t used = std::min<uint64_t>(e.arenaUsed + SharedGap, e.arenaCapacity);
    std::fill(e.addressable.begin(), e.addressable.begin() + used, 0);
    std::fill(e.pending.begin(), e.pending.begin() + used, 0);
}

const SaRuntimeApi& api()
{
    static SaRuntimeApi table = [] {
        SaRuntimeApi a{};
        a.abi_version = SA_ABI_VERSION;
        a.access = &access;
        a.misaligned = &misaligned;
        a.syncthreads = &syncthreads;
        a.shared_static = &sharedStatic;
        a.shared_dynamic = &sharedDynamic;
        a.atomic = &atomic;
        a.cp_async = &cpAsync;
        a.cp_async_commit = &cpAsyncCommit;
        a.cp_async_wait = &cpAsyncWait;
        a.cvta_to_shared = &cvtaToShared;
        a.trap = &trap;
        a.clock = &clockNow;
        fillWarpApi(a);
        return a;
    }();
    return table;
}
} // namespace sa::exec

namespace sa
{
const SaRuntimeApi* runtimeApi() { return &exec::api(); }
} // namespace sa
