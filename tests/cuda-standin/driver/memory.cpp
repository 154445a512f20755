// memory.cpp — device memory of the stand-in: one reserved address range, a granule table for O(1) checks, the
// stream-ordered pool (freed blocks cached and reused like the driver's default pool) and a quarantine that keeps
// recently freed blocks unaddressable so a late access is reported as use-after-free, not silently allowed.
#include "standin.h"

#include <cstring>
#include <sys/mman.h>

namespace sa
{
namespace
{
uint64_t roundUp(uint64_t value, uint64_t to) { return (value + to - 1) / to * to; }
constexpr uint64_t QuarantineBytes = 256ull << 20;
constexpr size_t QuarantineBlocks = 4096;
} // namespace

void DeviceMemory::initialize(uint64_t totalBytes)
{
    total_ = totalBytes;
    regionBytes_ = roundUp(totalBytes + totalBytes / 4 + (QuarantineBytes * 2), 1ull << 21);
    void* region = mmap(nullptr, regionBytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    void* table = mmap(nullptr, (regionBytes_ >> GranuleShift) * sizeof(uint32_t), PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (region == MAP_FAILED || table == MAP_FAILED)
    {
        fprintf(stderr, "cuda-standin: cannot reserve %llu bytes of address space for device memory\n", (unsigned long long)regionBytes_);
        abort();
    }
    // Keep address 0 and its neighbourhood out of the range, so a null device pointer is never "inside".
    base_ = (uint64_t)region;
    table_ = (uint32_t*)table;
}

uint32_t DeviceMemory::newBlock(uint64_t span)
{
    uint32_t id;
    if (!freeIds_.empty())
    {
        id = freeIds_.back();
        freeIds_.pop_back();
        blocks_[id] = Block{};
    }
    else
    {
        id = (uint32_t)blocks_.size();
        blocks_.push_back(Block{});
    }
    blocks_[id].span = span;
    return id;
}

bool DeviceMemory::carve(uint64_t bytes, uint64_t* base)
{
    for (auto it = freeRanges_.begin(); it != freeRanges_.end(); ++it)
    {
        if (it->second < bytes) continue;
        *base = base_ + it->first;
        const uint64_t offset = it->first + bytes, left = it->second - bytes;
        freeRanges_.erase(it);
        if (left > 0) freeRanges_[offset] = left;
        return true;
    }
    if (bump_ + bytes > regionBytes_) return false;
    *base = base_ + bump_;
    bump_ += bytes;
    return true;
}

void DeviceMemory::returnToFreeRanges(uint32_t id)
{
    Block& b = blocks_[id];
    const uint64_t offset = b.base - base_;
    std::fill(table_ + (offset >> GranuleShift), table_ + ((offset + b.span) >> GranuleShift), 0u);
    if (b.span >= (1ull << 20)) madvise((void*)b.base, b.span, MADV_DONTNEED);
    uint64_t start = offset, length = b.span + Granule;
    auto next = freeRanges_.lower_bound(start);
    if (next != freeRanges_.begin())
    {
        auto previous = std::prev(next);
        if (previous->first + previous->second == start)
        {
            start = previous->first;
            length += previous->second;
            freeRanges_.erase(previous);
        }
    }
    next = freeRanges_.lower_bound(start + length);
    if (next != freeRanges_.end() && next->first == start + length)
    {
        length += next->second;
        freeRanges_.erase(next);
    }
    if (start + length == bump_) bump_ = start;
    else freeRanges_[start] = length;
    b = Block{};
    freeIds_.push_back(id);
}

void DeviceMemory::releaseQuarantine(uint64_t wanted)
{
    uint64_t released = 0;
    while (!quarantine_.empty() && (released < wanted || quarantined_ > QuarantineBytes || quarantine_.size() > QuarantineBlocks))
    {
        const uint32_t id = quarantine_.front();
        quarantine_.pop_front();
        released += blocks_[id].span;
        quarantined_ -= blocks_[id].span;
        returnToFreeRanges(id);
    }
}

int DeviceMemory::allocate(uint64_t bytes, bool pool, SaStream* stream, uint32_t* blockId)
{
    if (bytes == 0) return CUDA_ERROR_INVALID_VALUE;
    const uint64_t span = roundUp(bytes, Granule);
    if (pool)
    {
        // Stream-ordered reuse: a block freed earlier on the same stream may be handed out again at once (the free
        // precedes this allocation in stream order); otherwise one whose free has already executed.
        uint32_t reuse = 0;
        for (auto [it, end] = freeQueued_.equal_range(span); it != end; ++it)
            if (blocks_[it->second].freeStream == stream)
            {
                reuse = it->second;
                freeQueued_.erase(it);
                break;
            }
        if (reuse == 0)
        {
            auto cached = poolCache_.find(span);
            if (cached != poolCache_.end())
            {
                reuse = cached->second;
                poolCache_.erase(cached);
            }
        }
        if (reuse != 0)
        {
            Block& b = blocks_[reuse];
            b.call = CallState::Live;
            b.callSize = bytes;
            b.generation++;
            b.freeStream = nullptr;
            poolUsed_ += span;
            poolUsedHigh_ = std::max(poolUsedHigh_, poolUsed_);
            *blockId = reuse;
            return CUDA_SUCCESS;
        }
    }
    if (committed_ + span > total_) return CUDA_ERROR_OUT_OF_MEMORY;
    uint64_t base;
    if (!carve(span + Granule, &base))
    {
        releaseQuarantine(span + Granule);
        if (!carve(span + Granule, &base)) return CUDA_ERROR_OUT_OF_MEMORY;
    }
    const uint32_t id = newBlock(span);
    Block& b = blocks_[id];
    b.base = base;
    b.callSize = bytes;
    b.generation = 1;
    b.pool = pool;
    b.call = CallState::Live;
    const uint64_t offset = base - base_;
    std::fill(table_ + (offset >> GranuleShift), table_ + ((offset + span) >> GranuleShift), id);
    committed_ += span;
    if (pool)
    {
        poolReserved_ += span;
        poolUsed_ += span;
        poolReservedHigh_ = std::max(poolReservedHigh_, poolReserved_);
        poolUsedHigh_ = std::max(poolUsedHigh_, poolUsed_);
    }
    *blockId = id;
    return CUDA_SUCCESS;
}

int DeviceMemory::release(uint64_t pointer, bool pool, SaStream* stream, uint32_t* blockId)
{
    if (!contains(pointer)) return CUDA_ERROR_INVALID_VALUE;
    const uint32_t id = blockAt(pointer);
    if (id == 0 || blocks_[id].base != pointer || blocks_[id].call != CallState::Live) return CUDA_ERROR_INVALID_VALUE;
    Block& b = blocks_[id];
    *blockId = id;
    if (b.pool && pool)
    {
        b.call = CallState::FreeQueued;
        b.freeStream = stream;
        freeQueued_.emplace(b.span, id);
        poolUsed_ -= b.span;
        return CUDA_SUCCESS;
    }
    if (b.pool)
    {
        poolUsed_ -= b.span;
        poolReserved_ -= b.span;
    }
    b.call = CallState::Quarantined;
    committed_ -= b.span;
    quarantined_ += b.span;
    quarantine_.push_back(id);
    releaseQuarantine(0);
    return CUDA_SUCCESS;
}

void DeviceMemory::trimPool(uint64_t keepBytes)
{
    while (poolReserved_ > keepBytes && !poolCache_.empty())
    {
        auto largest = std::prev(poolCache_.end());
        const uint32_t id = largest->second;
        poolCache_.erase(largest);
        Block& b = blocks_[id];
        b.call = CallState::Quarantined;
        poolReserved_ -= b.span;
        committed_ -= b.span;
        quarantined_ += b.span;
        quarantine_.push_back(id);
    }
    releaseQuarantine(0);
}

uint64_t DeviceMemory::freeBytes() const { return total_ - committed_; }

// The size travels with the queued op: by the time it executes, the caller may already have freed and reused the block.
void DeviceMemory::execAllocate(uint32_t id, uint32_t generation, uint64_t size)
{
    Block& b = blocks_[id];
    b.exec = ExecState::Live;
    b.execGeneration = generation;
    b.size = size;
    memset((void*)b.base, NewFill, b.span);
}

void DeviceMemory::execFree(uint32_t id, uint32_t generation)
{
    Block& b = blocks_[id];
    if (b.exec != ExecState::Live || b.execGeneration != generation) return;
    b.exec = ExecState::Freed;
    memset((void*)b.base, FreedFill, b.span);
    if (b.call == CallState::FreeQueued && b.pool && b.generation == generation)
    {
        for (auto [it, end] = freeQueued_.equal_range(b.span); it != end; ++it)
            if (it->second == id)
            {
                freeQueued_.erase(it);
                break;
            }
        b.call = CallState::Cached;
        b.freeStream = nullptr;
        poolCache_.emplace(b.span, id);
    }
}

bool DeviceMemory::callRangeValid(uint64_t pointer, uint64_t bytes, std::string* why) const
{
    if (!contains(pointer))
    {
        *why = format("0x%llx is not a device address", (unsigned long long)pointer);
        return false;
    }
    const uint32_t id = blockAt(pointer);
    if (id == 0)
    {
        *why = format("0x%llx is not inside any allocation", (unsigned long long)pointer);
        return false;
    }
    const Block& b = blocks_[id];
    if (b.call != CallState::Live)
    {
        *why = format("0x%llx is in a freed allocation of %llu bytes at 0x%llx", (unsigned long long)pointer,
                      (unsigned long long)b.callSize, (unsigned long long)b.base);
        return false;
    }
    if (pointer + bytes > b.base + b.callSize)
    {
        *why = format("%llu bytes at 0x%llx run %llu bytes past the end of the %llu-byte allocation at 0x%llx",
                      (unsigned long long)bytes, (unsigned long long)pointer,
                      (unsigned long long)(pointer + bytes - b.base - b.callSize), (unsigned long long)b.callSize,
                      (unsigned long long)b.base);
        return false;
    }
    return true;
}

std::string DeviceMemory::execCheck(uint64_t address, uint64_t bytes) const
{
    const uint32_t id = table_[(address - base_) >> GranuleShift];
    if (id != 0)
    {
        const Block& b = blocks_[id];
        if (b.exec == ExecState::Live && address + bytes <= b.base + b.size) return std::string();
        if (b.exec == ExecState::Freed)
            return format("is inside the freed %llu-byte allocation at 0x%llx (use after free)", (unsigned long long)b.size,
                          (unsigned long long)b.base);
        if (b.exec == ExecState::Unborn)
            return format("is inside an allocation at 0x%llx that is not allocated yet in stream order", (unsigned long long)b.base);
        return format("runs %llu bytes past the end of the %llu-byte allocation at 0x%llx (out of bounds)",
                      (unsigned long long)(address + bytes - b.base - b.size), (unsigned long long)b.size,
                      (unsigned long long)b.base);
    }
    if (address + bytes > base_ && ((address + bytes - 1 - base_) >> GranuleShift) < (regionBytes_ >> GranuleShift))
    {
        const uint32_t last = table_[(address + bytes - 1 - base_) >> GranuleShift];
        if (last != 0) return format("starts %llu bytes before the allocation at 0x%llx (out of bounds)",
                                     (unsigned long long)(blocks_[last].base - address), (unsigned long long)blocks_[last].base);
    }
    return describe(address);
}

std::string DeviceMemory::describe(uint64_t address) const
{
    // The nearest allocation below the address, to say how far past its end the access landed.
    const Block* nearest = nullptr;
    for (const Block& b : blocks_)
        if (b.base != 0 && b.base <= address && (nearest == nullptr || b.base > nearest->base)) nearest = &b;
    if (nearest != nullptr && nearest->exec == ExecState::Live)
    {
        const uint64_t gap = address - nearest->base - nearest->size;
        return format("is outside every allocation: %s past the end of the %llu-byte allocation at 0x%llx",
                      gap == 0 ? "just" : format("%llu bytes", (unsigned long long)gap).c_str(), (unsigned long long)nearest->size,
                      (unsigned long long)nearest->base);
    }
    return "is outside every live allocation (unallocated device memory)";
}
} // namespace sa
