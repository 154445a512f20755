// compile.cpp — the NVRTC stand-in's compiler: options as NVRTC reads them, a cache keyed by SHA-256 of everything
// that shapes the output, and two g++ runs: -E behind cuda_shim.h, then (after transform.cpp) the compile of the
// rewritten text with the instrumentation the driver stand-in's checks rely on.
#include "nvrtc_standin.h"
#include "../shim/sa_abi.h"

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <dlfcn.h>
#include <fcntl.h>
#include <mutex>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern "C" const char sa_embedded_shim[];
extern "C" const char sa_embedded_shim_end[];
extern "C" const char sa_embedded_abi[];
extern "C" const char sa_embedded_abi_end[];
extern char** environ;

namespace sa::nvrtc
{
namespace
{
constexpr int Success = 0, InvalidOption = 5, Compilation = 6, InternalError = 11;

// Any change to how modules are built changes this string, and with it every cache key; SA_STANDIN_BUILD_ID (a hash of
// the stand-in's sources, set by build.sh) does the same for any change to the transform or the runtime.
#ifndef SA_STANDIN_BUILD_ID
#define SA_STANDIN_BUILD_ID "unversioned"
#endif
const char* const BuildRecipe = "recipe-3: -E -std=c++17 -include cuda_shim.h | transform | -c -fPIC -fvisibility=hidden "
                                "-fno-exceptions -fno-rtti -w -fsanitize=kernel-address (calls, no stack, no globals) "
                                "-fsanitize=alignment | -shared -Wl,-z,defs -lm";

struct Options
{
    std::string architecture = "compute_52";
    std::string standard = "c++17";
    std::vector<std::string> preprocessor; // -D, -U, -I for g++
    bool debug = false;
    std::string error;
};

bool startsWith(const std::string& s, const char* prefix) { return s.compare(0, strlen(prefix), prefix) == 0; }

Options parseOptions(const std::vector<std::string>& options)
{
    static const char* const ignored[] = {"-default-device", "--device-as-default-execution-space", "-lineinfo",
                                          "--generate-line-info", "--use_fast_math", "-use_fast_math", "-ewp",
                                          "--extensible-whole-program", "-w", "--disable-warnings", "-restrict", "--restrict",
                                          "-dlto", "--dlink-time-opt", "--extra-device-vectorization", "-extra-device-vectorization",
                                          "--device-int128", "-builtin-move-forward=true", "-builtin-initializer-list=true"};
    static const char* const ignoredPrefixes[] = {"--ptxas-options=", "-Xptxas", "--ftz=", "-ftz=", "--prec-sqrt=", "-prec-sqrt=",
                                                  "--prec-div=", "-prec-div=", "--fmad=", "-fmad=", "--maxrregcount=", "-maxrregcount=",
                                                  "-dopt=", "--dopt=", "-rdc=", "--relocatable-device-code=", "-Werror=",
                                                  "--diag-suppress=", "-diag-suppress=", "--diag-error=", "--diag-warn="};
    Options o;
    for (const std::string& option : options)
    {
        std::string value;
        if (startsWith(option, "--gpu-architecture=")) o.architecture = option.substr(19);
        else if (startsWith(option, "-arch=")) o.architecture = option.substr(6);
        else if (startsWith(option, "--std=")) o.standard = option.substr(6);
        else if (startsWith(option, "-std=")) o.standard = option.substr(5);
        else if (option == "-G" || option == "--device-debug") o.debug = true;
        else if (startsWith(option, "--define-macro=")) o.preprocessor.push_back("-D" + option.substr(15));
        else if (startsWith(option, "--undefine-macro=")) o.preprocessor.push_back("-U" + option.substr(17));
        else if (startsWith(option, "--include-path=")) o.preprocessor.push_back("-I" + option.substr(15));
        else if (startsWith(option, "-D") && option.size() > 2) o.preprocessor.push_back(option);
        else if (startsWith(option, "-U") && option.size() > 2) o.preprocessor.push_back(option);
        else if (startsWith(option, "-I") && option.size() > 2) o.preprocessor.push_back(option);
        else
        {
            bool known = false;
            for (const char* i : ignored) known |= option == i;
            for (const char* p : ignoredPrefixes) known |= startsWith(option, p);
            if (!known)
            {
                o.error = "nvrtc: error: unrecognized option: " + option + "\n";
                return o;
            }
        }
    }
    if (o.standard != "c++11" && o.standard != "c++14" && o.standard != "c++17" && o.standard != "c++20")
        o.error = "nvrtc: error: invalid value for --std: " + o.standard + "\n";
    const bool real = startsWith(o.architecture, "sm_"), virt = startsWith(o.architecture, "compute_");
    const int number = atoi(o.architecture.c_str() + (real ? 3 : virt ? 8 : 0));
    if ((!real && !virt) || number < 50 || number > 90)
        o.error = "nvrtc: error: invalid value for --gpu-architecture (-arch): " + o.architecture + "\n";
    return o;
}

std::string libraryDirectory()
{
    Dl_info info{};
    if (dladdr((const void*)&parseOptions, &info) == 0 || info.dli_fname == nullptr) return ".";
    std::string path = info.dli_fname;
    const size_t slash = path.rfind('/');
    return slash == std::string::npos ? "." : path.substr(0, slash);
}

std::string cacheDirectory()
{
    const char* configured = getenv("STYLEALIGN_STANDIN_CACHE");
    const std::string dir = configured != nullptr && *configured != 0 ? configured : libraryDirectory() + "/kernel-cache";
    mkdir(dir.c_str(), 0755);
    return dir;
}

std::string compilerCommand()
{
    const char* configured = getenv("STYLEALIGN_STANDIN_CXX");
    return configured != nullptr && *configured != 0 ? configured : "g++";
}

bool readFile(const std::string& path, std::string* out)
{
    FILE* f = fopen(path.c_str(), "rb");
    if (f == nullptr) return false;
    out->clear();
    char buffer[65536];
    size_t n;
    while ((n = fread(buffer, 1, sizeof buffer, f)) > 0) out->append(buffer, n);
    fclose(f);
    return true;
}

bool writeFile(const std::string& path, const std::string& data)
{
    FILE* f = fopen(path.c_str(), "wb");
    if (f == nullptr) return false;
    const bool ok = fwrite(data.data(), 1, data.size(), f) == data.size();
    return fclose(f) == 0 && ok;
}

// Writes atomically: a half-written cache file is never visible under its final name.
bool publish(const std::string& path, const std::string& data)
{
    const std::string temporary = path + ".tmp." + std::to_string(getpid());
    if (!writeFile(temporary, data)) return false;
    return rename(temporary.c_str(), path.c_str()) == 0;
}

// Runs a command in `directory` with stdout and stderr into `output`; returns the exit status (or -1).
int run(const std::vector<std::string>& argv, const std::string& directory, std::string* output)
{
    const std::string logPath = directory + "/command.log";
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addchdir_np(&actions, directory.c_str());
    posix_spawn_file_actions_addopen(&actions, 1, logPath.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    pid_t pid;
    const int spawned = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (spawned != 0)
    {
        *output = "cannot run " + argv[0] + ": " + strerror(spawned) + " (install g++, or set STYLEALIGN_STANDIN_CXX)\n";
        return -1;
    }
    int status = 0;
    pid_t waited;
    do waited = waitpid(pid, &status, 0);
    while (waited < 0 && errno == EINTR);
    readFile(logPath, output);
    unlink(logPath.c_str());
    if (waited < 0) return output->find("error") == std::string::npos ? 0 : 1; // reaped by someone else: judge by the output
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string compilerIdentity()
{
    static std::once_flag once;
    static std::string identity;
    std::call_once(once, [] {
        char directory[] = "/tmp/sa-nvrtc-version-XXXXXX";
        if (mkdtemp(directory) == nullptr) return;
        std::string output;
        run({compilerCommand(), "-dumpfullversion", "-dumpversion"}, directory, &output);
        rmdir(directory);
        while (!output.empty() && (output.back() == '\n' || output.back() == '\r')) output.pop_back();
        identity = compilerCommand() + " " + output;
    });
    return identity;
}

void removeDirectory(const std::string& dir, const std::vector<std::string>& files)
{
    for (const std::string& f : files) unlink((dir + "/" + f).c_str());
    // headers may sit in subdirectories; remove what is left, best effort
    rmdir(dir.c_str());
}

std::string sanitizedName(const std::string& name)
{
    std::string out;
    for (char c : name) out += (std::isalnum((unsigned char)c) || c == '.' || c == '_' || c == '-') ? c : '_';
    if (out.empty() || out[0] == '.') out = "program" + out;
    return out;
}

std::string successLog(const std::string& name, const std::string& architecture, const Transformed& t)
{
    std::string log = "cuda stand-in: " + name + " compiled by " + compilerIdentity() + " for the CPU stand-in of " + architecture + "; " +
                      std::to_string(t.kernels.size()) + " entry functions:";
    for (const Kernel& k : t.kernels) log += " " + k.name;
    return log + "\n";
}
} // namespace

CompileResult compile(const std::string& name, const std::string& source, const std::vector<std::pair<std::string, std::string>>& headers,
                      const std::vector<std::string>& options)
{
    CompileResult result{Success, "", {}, ""};
    const Options o = parseOptions(options);
    if (!o.error.empty()) return CompileResult{InvalidOption, o.error, {}, ""};
    const bool wantsCubin = startsWith(o.architecture, "sm_");
    const std::string shim(sa_embedded_shim, sa_embedded_shim_end);
    const std::string abi(sa_embedded_abi, sa_embedded_abi_end);

    std::string keyText = std::string(BuildRecipe) + "\n" + SA_STANDIN_BUILD_ID + "\n" + compilerIdentity() + "\nshim:" + std::to_string(shim.size()) + ":" + shim +
                          "\nabi:" + std::to_string(abi.size()) + ":" + abi + "\nname:" + name + "\nsource:" +
                          std::to_string(source.size()) + ":" + source;
    for (const auto& [include, text] : headers)
        keyText += "\nheader:" + include + ":" + std::to_string(text.size()) + ":" + text;
    for (const std::string& option : options) keyText += "\noption:" + option;
    const std::string key = sha256Hex(keyText);
    const std::string cache = cacheDirectory();
    const std::string soPath = cache + "/" + key + ".so", logPath = cache + "/" + key + ".log";
    const std::string ptx = "// CUDA stand-in: " + name + " runs as CPU code; there is no PTX.\n";

    std::string so, log;
    if (!(readFile(soPath, &so) && readFile(logPath, &log) && !so.empty()))
    {
        char directory[4096];
        snprintf(directory, sizeof directory, "%s/build-XXXXXX", cache.c_str());
        if (mkdtemp(directory) == nullptr) return CompileResult{InternalError, "cannot create a build directory in " + cache + "\n", {}, ""};
        const std::string dir = directory;
        const std::string file = sanitizedName(name.substr(name.rfind('/') == std::string::npos ? 0 : name.rfind('/') + 1));
        std::vector<std::string> written = {"cuda_shim.h", "sa_abi.h", file, "pre.ii", "module.ii", "module.o", "module.so"};
        writeFile(dir + "/cuda_shim.h", shim);
        writeFile(dir + "/sa_abi.h", abi);
        writeFile(dir + "/" + file, source);
        for (const auto& [include, text] : headers)
        {
            if (include.find("..") != std::string::npos || include.empty() || include[0] == '/')
            {
                removeDirectory(dir, written);
                return CompileResult{Compilation, "nvrtc: error: header name '" + include + "' must be a relative path\n", {}, ""};
            }
            const std::string path = dir + "/" + include;
            for (size_t slash = include.find('/'); slash != std::string::npos; slash = include.find('/', slash + 1))
                mkdir((dir + "/" + include.substr(0, slash)).c_str(), 0755);
            writeFile(path, text);
            written.push_back(include);
        }
        const std::string arch = std::to_string(atoi(o.architecture.c_str() + (startsWith(o.architecture, "sm_") ? 3 : 8)) * 10);
        std::vector<std::string> preprocess = {compilerCommand(), "-E", "-x", "c++", "-std=" + o.standard, "-D__CUDACC__",
                                               "-D__CUDACC_RTC__", "-D__CUDA_ARCH__=" + arch, "-include", "cuda_shim.h", "-I."};
        preprocess.insert(preprocess.end(), o.preprocessor.begin(), o.preprocessor.end());
        preprocess.insert(preprocess.end(), {file, "-o", "pre.ii"});
        std::string output, text;
        if (run(preprocess, dir, &output) != 0 || !readFile(dir + "/pre.ii", &text))
        {
            removeDirectory(dir, written);
            return CompileResult{Compilation, output, {}, ""};
        }
        const Transformed t = transform(text);
        if (!t.error.empty())
        {
            removeDirectory(dir, written);
            return CompileResult{Compilation, "cuda stand-in: " + t.error + "\n", {}, ""};
        }
        writeFile(dir + "/module.ii", t.text);
        std::vector<std::string> compileModule = {compilerCommand(), "-c", "-x", "c++-cpp-output", "-std=" + o.standard,
                                                  o.debug ? "-O0" : "-O1", "-g0", "-fPIC", "-fvisibility=hidden", "-fno-exceptions",
                                                  "-fno-rtti", "-w", "-fsanitize=kernel-address",
                                                  "--param", "asan-instrumentation-with-call-threshold=0", "--param", "asan-stack=0",
                                                  "--param", "asan-globals=0", "-fsanitize=alignment", "module.ii", "-o", "module.o"};
        if (run(compileModule, dir, &output) != 0)
        {
            removeDirectory(dir, written);
            return CompileResult{Compilation, output, {}, ""};
        }
        std::string linkOutput;
        if (run({compilerCommand(), "-shared", "-o", "module.so", "module.o", "-Wl,-z,defs", "-lm"}, dir, &linkOutput) != 0 ||
            !readFile(dir + "/module.so", &so))
        {
            removeDirectory(dir, written);
            return CompileResult{Compilation, "cuda stand-in: linking the module failed:\n" + linkOutput, {}, ""};
        }
        log = successLog(name, o.architecture, t);
        removeDirectory(dir, written);
        publish(soPath, so);
        publish(logPath, log);
    }
    result.log = log;
    result.ptx = ptx;
    if (wantsCubin)
    {
        result.image.assign(SA_IMAGE_MAGIC, SA_IMAGE_MAGIC + SA_IMAGE_MAGIC_BYTES);
        const uint64_t size = so.size();
        result.image.insert(result.image.end(), (const unsigned char*)&size, (const unsigned char*)&size + 8);
        result.image.insert(result.image.end(), so.begin(), so.end());
    }
    return result;
}
} // namespace sa::nvrtc
