// nvrtc_standin.h — internal declarations of the NVRTC stand-in: CUDA C++ is compiled by g++ behind cuda_shim.h into
// a shared object, which is the "CUBIN" the driver stand-in loads.
#pragma once
#include <string>
#include <utility>
#include <vector>

namespace sa::nvrtc
{
struct Kernel
{
    std::string name;
    std::string maxThreads; // the __launch_bounds__ expression, "0" when absent
};

struct SharedSite
{
    std::string name, file;
    int line;
};

struct Transformed
{
    std::string text;   // the preprocessed program with __shared__ rewritten and the markers removed
    std::vector<Kernel> kernels;
    std::vector<SharedSite> sites;
    std::string error;  // non-empty when the source uses something the stand-in cannot translate
};

// Rewrites g++ -E output of a program compiled behind cuda_shim.h and appends the module's registration block.
Transformed transform(const std::string& preprocessed);

std::string sha256Hex(const std::string& data);

struct CompileResult
{
    int status; // an nvrtcResult
    std::string log;
    std::vector<unsigned char> image; // empty for a virtual architecture (compute_XY)
    std::string ptx;
};

// nvrtcCompileProgram's work: options as NVRTC reads them, the cache, the two g++ runs.
CompileResult compile(const std::string& name, const std::string& source, const std::vector<std::pair<std::string, std::string>>& headers,
                      const std::vector<std::string>& options);
} // namespace sa::nvrtc
