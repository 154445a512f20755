// module.cpp — loading the images the NVRTC stand-in produces (a header plus a shared object, loaded from an
// in-memory file), looking up kernels, and cuLaunchKernel: the real launch limits, and a check that the arguments
// match the kernel's parameters in count and size (see the NULL-terminated list the engine passes, below).
#include "api_common.h"

#include <cstring>
#include <dlfcn.h>
#include <link.h>
#include <sys/mman.h>
#include <unistd.h>

using namespace sa;

namespace
{
// After the kernel's parameter pointers the engine's KernelArgs passes a NULL, this marker and each argument's size,
// so the stand-in can check count and sizes (a real driver reads only the first N pointers and ignores the rest).
constexpr uint64_t ArgumentSizesMarker = 0x53414B4152475331ull; // "SAKARGS1"
constexpr unsigned MaxScannedArguments = 256;

struct ModuleRecord
{
    int fd;
};

std::map<SaModule*, ModuleRecord>& modules()
{
    static auto* instance = new std::map<SaModule*, ModuleRecord>();
    return *instance;
}

struct RangeSearch
{
    uint64_t loadAddress;
    std::vector<std::pair<uint64_t, uint64_t>>* ranges;
};

int collectSegments(dl_phdr_info* info, size_t, void* data)
{
    auto* search = static_cast<RangeSearch*>(data);
    if (info->dlpi_addr != search->loadAddress) return 0;
    for (int i = 0; i < info->dlpi_phnum; ++i)
        if (info->dlpi_phdr[i].p_type == PT_LOAD)
        {
            const uint64_t start = info->dlpi_addr + info->dlpi_phdr[i].p_vaddr;
            search->ranges->emplace_back(start, start + info->dlpi_phdr[i].p_memsz);
        }
    return 1;
}

struct LaunchOp final : Op
{
    SaFunction* function;
    LaunchConfig config;
    std::vector<unsigned char> storage;
    std::vector<void*> pointers;
    uint64_t number;
    void run() override { executeLaunch(function, config, storage, pointers, number); }
};

std::string describeParameters(const SaKernelEntry& entry) { return kernelSignature(entry); }
} // namespace

namespace sa
{
std::string kernelSignature(const SaKernelEntry& entry)
{
    // The registration helper's __PRETTY_FUNCTION__ reads "... [with A = {long long int, const float*, ...}]".
    const std::string text = entry.signature != nullptr ? entry.signature : "";
    const size_t with = text.find("A = ");
    if (with == std::string::npos) return "(" + std::to_string(entry.parameter_count) + " parameters)";
    std::string types = text.substr(with + 4);
    if (!types.empty() && types.back() == ']') types.pop_back();
    if (!types.empty() && types.front() == '{' && types.back() == '}') types = types.substr(1, types.size() - 2);
    return "(" + types + ")";
}
} // namespace sa

SA_API CUresult cuModuleLoadData(CUmodule* module, const void* image)
{
    SA_ENTER_CONTEXT();
    if (module == nullptr || image == nullptr) return CUDA_ERROR_INVALID_VALUE;
    const auto* bytes = static_cast<const unsigned char*>(image);
    if (std::memcmp(bytes, SA_IMAGE_MAGIC, SA_IMAGE_MAGIC_BYTES) != 0)
    {
        if (bytes[0] == 0x7f && bytes[1] == 'E' && bytes[2] == 'L' && bytes[3] == 'F')
            return fail(CUDA_ERROR_NO_BINARY_FOR_GPU, "a GPU CUBIN cannot run on the CPU stand-in: compile with the NVRTC stand-in "
                                                      "(STYLEALIGN_LIBNVRTC) so the image holds CPU code");
        return fail(CUDA_ERROR_INVALID_IMAGE, "not an image of the NVRTC stand-in");
    }
    uint64_t size;
    std::memcpy(&size, bytes + SA_IMAGE_MAGIC_BYTES, 8);
    const int fd = memfd_create("stylealign-standin-module", MFD_CLOEXEC);
    if (fd < 0) return fail(CUDA_ERROR_INVALID_IMAGE, "memfd_create failed");
    const unsigned char* so = bytes + SA_IMAGE_MAGIC_BYTES + 8;
    for (uint64_t written = 0; written < size;)
    {
        const ssize_t n = write(fd, so + written, size - written);
        if (n <= 0)
        {
            close(fd);
            return fail(CUDA_ERROR_INVALID_IMAGE, "cannot write the module image");
        }
        written += (uint64_t)n;
    }
    // The descriptor stays open while the module is loaded, so no two modules ever share a /proc path.
    const std::string path = format("/proc/self/fd/%d", fd);
    void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr)
    {
        const std::string why = dlerror();
        close(fd);
        return fail(CUDA_ERROR_INVALID_IMAGE, "dlopen of the module failed: " + why);
    }
    auto init = reinterpret_cast<SaModuleInit>(dlsym(handle, SA_MODULE_INIT_SYMBOL));
    auto* m = new SaModule();
    m->handle = handle;
    if (init == nullptr || init(runtimeApi(), &m->info) != 0)
    {
        dlclose(handle);
        close(fd);
        delete m;
        return fail(CUDA_ERROR_INVALID_IMAGE, "the module was built for another version of the stand-in (ABI mismatch): clear the kernel cache");
    }
    link_map* map = nullptr;
    dlinfo(handle, RTLD_DI_LINKMAP, &map);
    RangeSearch search{map != nullptr ? (uint64_t)map->l_addr : 0, &m->ranges};
    dl_iterate_phdr(&collectSegments, &search);
    for (const auto& r : m->ranges) state().moduleRanges.push_back(r);
    for (unsigned i = 0; i < m->info.kernel_count; ++i)
    {
        auto f = std::make_unique<SaFunction>();
        f->module = m;
        f->entry = &m->info.kernels[i];
        m->functions.push_back(std::move(f));
    }
    modules()[m] = ModuleRecord{fd};
    *module = m;
    return CUDA_SUCCESS;
}

SA_API CUresult cuModuleLoadDataEx(CUmodule* module, const void* image, unsigned, void*, void**) { return cuModuleLoadData(module, image); }

SA_API CUresult cuModuleUnload(CUmodule module)
{
    SA_ENTER_INIT();
    auto it = modules().find(module);
    if (it == modules().end()) return CUDA_ERROR_INVALID_HANDLE;
    drain(nullptr);
    auto& ranges = state().moduleRanges;
    for (const auto& r : module->ranges) ranges.erase(std::find(ranges.begin(), ranges.end(), r));
    dlclose(module->handle);
    close(it->second.fd);
    modules().erase(it);
    delete module;
    return CUDA_SUCCESS;
}

SA_API CUresult cuModuleGetFunction(CUfunction* function, CUmodule module, const char* name)
{
    SA_ENTER_CONTEXT();
    if (function == nullptr || name == nullptr) return CUDA_ERROR_INVALID_VALUE;
    if (modules().find(module) == modules().end()) return CUDA_ERROR_INVALID_HANDLE;
    for (const auto& f : module->functions)
        if (std::strcmp(f->entry->name, name) == 0)
        {
            *function = f.get();
            return CUDA_SUCCESS;
        }
    return fail(CUDA_ERROR_NOT_FOUND, format("the module has no extern \"C\" __global__ function named '%s'", name));
}

SA_API CUresult cuFuncSetAttribute(CUfunction function, int attribute, int value)
{
    SA_ENTER_CONTEXT();
    if (function == nullptr) return CUDA_ERROR_INVALID_HANDLE;
    switch (attribute)
    {
        case CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES:
            if (value < 0 || (unsigned long)value > limits::SharedPerBlockOptin)
                return fail(CUDA_ERROR_INVALID_VALUE, format("cuFuncSetAttribute(%s): %d bytes of dynamic shared memory exceed the "
                                                             "device's %lu", function->entry->name, value, limits::SharedPerBlockOptin));
            function->maxDynamicShared = value;
            return CUDA_SUCCESS;
        case CU_FUNC_ATTRIBUTE_PREFERRED_SHARED_MEMORY_CARVEOUT:
            return value >= -1 && value <= 100 ? CUDA_SUCCESS : CUDA_ERROR_INVALID_VALUE;
        default: return fail(CUDA_ERROR_INVALID_VALUE, format("cuFuncSetAttribute: attribute %d cannot be set", attribute));
    }
}

SA_API CUresult cuFuncGetAttribute(int* value, int attribute, CUfunction function)
{
    SA_ENTER_CONTEXT();
    if (value == nullptr) return CUDA_ERROR_INVALID_VALUE;
    if (function == nullptr) return CUDA_ERROR_INVALID_HANDLE;
    switch (attribute)
    {
        case CU_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK:
            *value = function->entry->max_threads != 0 ? (int)function->entry->max_threads : limits::MaxThreadsPerBlock;
            return CUDA_SUCCESS;
        case CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES:
            *value = function->maxDynamicShared > 0 ? function->maxDynamicShared : (int)limits::SharedPerBlock;
            return CUDA_SUCCESS;
        case CU_FUNC_ATTRIBUTE_PTX_VERSION:
        case CU_FUNC_ATTRIBUTE_BINARY_VERSION: *value = limits::ComputeMajor * 10 + limits::ComputeMinor; return CUDA_SUCCESS;
        default: return fail(CUDA_ERROR_NOT_SUPPORTED, format("cuFuncGetAttribute: attribute %d is not known before the kernel runs on the stand-in", attribute));
    }
}

SA_API CUresult cuLaunchKernel(CUfunction function, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz,
                               unsigned sharedBytes, CUstream stream, void** parameters, void** extra)
{
    SA_ENTER_CONTEXT();
    if (function == nullptr || function->entry == nullptr) return CUDA_ERROR_INVALID_HANDLE;
    const SaKernelEntry& k = *function->entry;
    int error = CUDA_SUCCESS;
    SaStream* s = resolveStream(stream, &error);
    if (s == nullptr) return error;
    if (extra != nullptr)
        return fail(CUDA_ERROR_INVALID_VALUE, format("launch of %s: the stand-in takes arguments through kernelParams only, not `extra`", k.name));
    const uint64_t threads = (uint64_t)bx * by * bz;
    if (gx == 0 || gy == 0 || gz == 0 || bx == 0 || by == 0 || bz == 0)
        return fail(CUDA_ERROR_INVALID_VALUE, format("launch of %s: grid (%u,%u,%u) and block (%u,%u,%u) must not be empty", k.name, gx, gy, gz, bx, by, bz));
    if (bx > (unsigned)limits::MaxBlockX || by > (unsigned)limits::MaxBlockY || bz > (unsigned)limits::MaxBlockZ || threads > (uint64_t)limits::MaxThreadsPerBlock)
        return fail(CUDA_ERROR_INVALID_VALUE, format("launch of %s: block (%u,%u,%u) exceeds the limits (x, y ≤ 1024, z ≤ 64, at most 1024 threads)", k.name, bx, by, bz));
    if (gx > limits::MaxGridX || gy > limits::MaxGridY || gz > limits::MaxGridZ)
        return fail(CUDA_ERROR_INVALID_VALUE, format("launch of %s: grid (%u,%u,%u) exceeds the limits (x < 2^31, y and z ≤ 65535)", k.name, gx, gy, gz));
    if (k.max_threads != 0 && threads > k.max_threads)
        return fail(CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES, format("launch of %s: %llu threads per block, but __launch_bounds__ allows %u", k.name, (unsigned long long)threads, k.max_threads));
    const unsigned long dynamicLimit = function->maxDynamicShared > 0 ? (unsigned long)function->maxDynamicShared : limits::SharedPerBlock;
    if (sharedBytes > dynamicLimit)
        return fail(CUDA_ERROR_INVALID_VALUE,
                    format("launch of %s: %u bytes of dynamic shared memory exceed the %lu allowed%s", k.name, sharedBytes, dynamicLimit,
                           function->maxDynamicShared > 0 ? "" : " without cuFuncSetAttribute(CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES)"));

    const unsigned n = k.parameter_count;
    if (n > 0 && parameters == nullptr)
        return fail(CUDA_ERROR_INVALID_VALUE, format("launch of %s: the kernel takes %u parameters %s but kernelParams is NULL", k.name, n, describeParameters(k).c_str()));
    unsigned passed = 0;
    if (parameters != nullptr)
        while (passed < MaxScannedArguments && parameters[passed] != nullptr) ++passed;
    if (passed != n)
        return fail(CUDA_ERROR_INVALID_VALUE,
                    format("launch of %s: the kernel takes %u parameters %s, the launch passed %u%s", k.name, n, describeParameters(k).c_str(),
                           passed, passed > n ? " (or its kernelParams array is not NULL-terminated)" : ""));
    if (parameters != nullptr && (uint64_t)parameters[n + 1] == ArgumentSizesMarker)
        for (unsigned i = 0; i < n; ++i)
        {
            const uint64_t given = (uint64_t)parameters[n + 2 + i];
            if (given != k.parameter_sizes[i])
                return fail(CUDA_ERROR_INVALID_VALUE,
                            format("launch of %s: parameter %u of %s is %u bytes, the launch passed %llu bytes", k.name, i,
                                   describeParameters(k).c_str(), k.parameter_sizes[i], (unsigned long long)given));
        }

    auto op = std::make_unique<LaunchOp>();
    op->function = function;
    op->config = LaunchConfig{{gx, gy, gz}, {bx, by, bz}, sharedBytes};
    size_t total = 0;
    std::vector<size_t> offsets(n);
    for (unsigned i = 0; i < n; ++i)
    {
        const size_t alignment = std::max(1u, k.parameter_alignments[i]);
        total = (total + alignment - 1) / alignment * alignment;
        offsets[i] = total;
        total += k.parameter_sizes[i];
    }
    op->storage.resize(total + 16);
    // Parameters are copied now, as the driver does: the caller may reuse its memory as soon as the launch returns.
    const size_t shift = (16 - ((uintptr_t)op->storage.data() % 16)) % 16;
    op->pointers.resize(n + 1);
    for (unsigned i = 0; i < n; ++i)
    {
        unsigned char* destination = op->storage.data() + shift + offsets[i];
        std::memcpy(destination, parameters[i], k.parameter_sizes[i]);
        op->pointers[i] = destination;
    }
    op->number = ++state().launches;
    enqueue(s, std::move(op));
    return CUDA_SUCCESS;
}

SA_API CUresult cuGetErrorName(CUresult error, const char** name)
{
    if (name == nullptr) return CUDA_ERROR_INVALID_VALUE;
    *name = error_name(error);
    return *name == nullptr ? CUDA_ERROR_INVALID_VALUE : CUDA_SUCCESS;
}

// The text of an error, followed by what the stand-in knows of its cause: the fault behind a sticky error, or the
// reason the last failing call gave.
SA_API CUresult cuGetErrorString(CUresult error, const char** text)
{
    if (text == nullptr) return CUDA_ERROR_INVALID_VALUE;
    const char* base = error_text(error);
    if (base == nullptr)
    {
        *text = nullptr;
        return CUDA_ERROR_INVALID_VALUE;
    }
    std::lock_guard<std::recursive_mutex> lock(state().api);
    std::string detail;
    if (error == state().sticky && !state().stickyMessage.empty()) detail = state().stickyMessage;
    else if (error == state().lastError && !state().lastDetail.empty()) detail = state().lastDetail;
    if (detail.empty())
    {
        *text = base;
        return CUDA_SUCCESS;
    }
    static std::deque<std::string>* recent = new std::deque<std::string>();
    recent->push_back(std::string(base) + " — " + detail);
    if (recent->size() > 64) recent->pop_front();
    *text = recent->back().c_str();
    return CUDA_SUCCESS;
}
