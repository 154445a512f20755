// api.cpp — the NVRTC entry points. nvrtcCompileProgram takes the options the engine gives the real NVRTC, compiles
// the program with g++ behind cuda_shim.h (see compile.cpp) and keeps the resulting image as the program's CUBIN.
#include "nvrtc_standin.h"
#include "../shim/sa_abi.h"

#include <cstring>
#include <mutex>

using namespace sa::nvrtc;

#define SA_API extern "C" __attribute__((visibility("default")))

typedef int nvrtcResult;

struct SaProgram
{
    std::string name, source;
    std::vector<std::pair<std::string, std::string>> headers; // include name, text
    std::string log;
    std::vector<unsigned char> image;
    std::string ptx;
};
typedef SaProgram* nvrtcProgram;

namespace
{
enum : int
{
    NVRTC_SUCCESS = 0,
    NVRTC_ERROR_OUT_OF_MEMORY = 1,
    NVRTC_ERROR_PROGRAM_CREATION_FAILURE = 2,
    NVRTC_ERROR_INVALID_INPUT = 3,
    NVRTC_ERROR_INVALID_PROGRAM = 4,
    NVRTC_ERROR_INVALID_OPTION = 5,
    NVRTC_ERROR_COMPILATION = 6,
};

const int SupportedArchitectures[] = {75, 80, 86, 87, 89, 90};
} // namespace

SA_API const char* nvrtcGetErrorString(nvrtcResult result)
{
    static const char* const names[] = {"NVRTC_SUCCESS", "NVRTC_ERROR_OUT_OF_MEMORY", "NVRTC_ERROR_PROGRAM_CREATION_FAILURE",
                                        "NVRTC_ERROR_INVALID_INPUT", "NVRTC_ERROR_INVALID_PROGRAM", "NVRTC_ERROR_INVALID_OPTION",
                                        "NVRTC_ERROR_COMPILATION", "NVRTC_ERROR_BUILTIN_OPERATION_FAILURE",
                                        "NVRTC_ERROR_NO_NAME_EXPRESSIONS_AFTER_COMPILATION",
                                        "NVRTC_ERROR_NO_LOWERED_NAMES_BEFORE_COMPILATION", "NVRTC_ERROR_NAME_EXPRESSION_NOT_VALID",
                                        "NVRTC_ERROR_INTERNAL_ERROR"};
    return result >= 0 && result < (int)(sizeof names / sizeof names[0]) ? names[result] : "NVRTC_ERROR unknown";
}

// 12.9x with x the stand-in's ABI version: no real NVRTC has it, so the engine's kernel cache (keyed by the version)
// never mixes CPU and GPU images, nor images of stand-ins whose module ABI differs.
SA_API nvrtcResult nvrtcVersion(int* major, int* minor)
{
    if (major == nullptr || minor == nullptr) return NVRTC_ERROR_INVALID_INPUT;
    *major = 12;
    *minor = 90 + SA_ABI_VERSION;
    return NVRTC_SUCCESS;
}

SA_API nvrtcResult nvrtcGetNumSupportedArchs(int* count)
{
    if (count == nullptr) return NVRTC_ERROR_INVALID_INPUT;
    *count = (int)(sizeof SupportedArchitectures / sizeof SupportedArchitectures[0]);
    return NVRTC_SUCCESS;
}

SA_API nvrtcResult nvrtcGetSupportedArchs(int* archs)
{
    if (archs == nullptr) return NVRTC_ERROR_INVALID_INPUT;
    std::memcpy(archs, SupportedArchitectures, sizeof SupportedArchitectures);
    return NVRTC_SUCCESS;
}

SA_API nvrtcResult nvrtcCreateProgram(nvrtcProgram* program, const char* source, const char* name, int headerCount,
                                      const char* const* headers, const char* const* includeNames)
{
    if (program == nullptr || source == nullptr || headerCount < 0) return NVRTC_ERROR_INVALID_INPUT;
    if (headerCount > 0 && (headers == nullptr || includeNames == nullptr)) return NVRTC_ERROR_INVALID_INPUT;
    auto* p = new SaProgram();
    p->source = source;
    p->name = name != nullptr && *name != 0 ? name : "default_program";
    for (int i = 0; i < headerCount; ++i)
    {
        if (includeNames[i] == nullptr)
        {
            delete p;
            return NVRTC_ERROR_INVALID_INPUT;
        }
        p->headers.emplace_back(includeNames[i], headers[i] != nullptr ? headers[i] : "");
    }
    *program = p;
    return NVRTC_SUCCESS;
}

SA_API nvrtcResult nvrtcDestroyProgram(nvrtcProgram* program)
{
    if (program == nullptr || *program == nullptr) return NVRTC_ERROR_INVALID_PROGRAM;
    delete *program;
    *program = nullptr;
    return NVRTC_SUCCESS;
}

SA_API nvrtcResult nvrtcCompileProgram(nvrtcProgram program, int optionCount, const char* const* options)
{
    if (program == nullptr) return NVRTC_ERROR_INVALID_PROGRAM;
    if (optionCount < 0 || (optionCount > 0 && options == nullptr)) return NVRTC_ERROR_INVALID_INPUT;
    std::vector<std::string> list;
    for (int i = 0; i < optionCount; ++i)
    {
        if (options[i] == nullptr) return NVRTC_ERROR_INVALID_INPUT;
        list.emplace_back(options[i]);
    }
    CompileResult result = compile(program->name, program->source, program->headers, list);
    program->log = std::move(result.log);
    program->image = std::move(result.image);
    program->ptx = std::move(result.ptx);
    return result.status;
}

SA_API nvrtcResult nvrtcGetProgramLogSize(nvrtcProgram program, size_t* size)
{
    if (program == nullptr) return NVRTC_ERROR_INVALID_PROGRAM;
    if (size == nullptr) return NVRTC_ERROR_INVALID_INPUT;
    *size = program->log.size() + 1;
    return NVRTC_SUCCESS;
}

SA_API nvrtcResult nvrtcGetProgramLog(nvrtcProgram program, char* log)
{
    if (program == nullptr) return NVRTC_ERROR_INVALID_PROGRAM;
    if (log == nullptr) return NVRTC_ERROR_INVALID_INPUT;
    std::memcpy(log, program->log.c_str(), program->log.size() + 1);
    return NVRTC_SUCCESS;
}

SA_API nvrtcResult nvrtcGetCUBINSize(nvrtcProgram program, size_t* size)
{
    if (program == nullptr) return NVRTC_ERROR_INVALID_PROGRAM;
    if (size == nullptr) return NVRTC_ERROR_INVALID_INPUT;
    *size = program->image.size();
    return NVRTC_SUCCESS;
}

SA_API nvrtcResult nvrtcGetCUBIN(nvrtcProgram program, char* cubin)
{
    if (program == nullptr) return NVRTC_ERROR_INVALID_PROGRAM;
    if (cubin == nullptr) return NVRTC_ERROR_INVALID_INPUT;
    std::memcpy(cubin, program->image.data(), program->image.size());
    return NVRTC_SUCCESS;
}

SA_API nvrtcResult nvrtcGetPTXSize(nvrtcProgram program, size_t* size)
{
    if (program == nullptr) return NVRTC_ERROR_INVALID_PROGRAM;
    if (size == nullptr) return NVRTC_ERROR_INVALID_INPUT;
    *size = program->ptx.size() + 1;
    return NVRTC_SUCCESS;
}

SA_API nvrtcResult nvrtcGetPTX(nvrtcProgram program, char* ptx)
{
    if (program == nullptr) return NVRTC_ERROR_INVALID_PROGRAM;
    if (ptx == nullptr) return NVRTC_ERROR_INVALID_INPUT;
    std::memcpy(ptx, program->ptx.c_str(), program->ptx.size() + 1);
    return NVRTC_SUCCESS;
}

// Lets a test that needs the real NVRTC (its CUBIN and ptxas report) tell the stand-in apart.
SA_API const char* sa_standin_nvrtc_description()
{
    return "StyleAlign NVRTC stand-in: compiles CUDA C++ with g++ into CPU code for the CUDA stand-in (tests/cuda-standin)";
}
