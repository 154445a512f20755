// sa_abi.h — the contract between a kernel module compiled by the NVRTC stand-in and the driver stand-in that
// loads and runs it. Both sides include this file; SA_ABI_VERSION changes whenever a layout here does.
//
// Threads of a block run as fibers. Every fiber stack is SA_FIBER_STACK_BYTES long and aligned to its size, and its
// first bytes hold the SaThreadState of the CUDA thread it runs, so kernel code finds "its" threadIdx from the
// stack pointer alone (see sa_self in cuda_shim.h) — no thread-local storage, no global "current thread".
#pragma once

#define SA_ABI_VERSION 3
#define SA_FIBER_STACK_BYTES (1ul << 17)

struct sa_uint3
{
    unsigned x, y, z;
};

struct SaThreadState
{
    sa_uint3 threadIdx;
    sa_uint3 blockIdx;
    sa_uint3 blockDim;
    sa_uint3 gridDim;
    unsigned linear; // threadIdx.x + blockDim.x * (threadIdx.y + blockDim.y * threadIdx.z)
    unsigned lane;   // linear % 32
    unsigned warp;   // linear / 32
    unsigned reserved;
    void* runtime;   // the runtime's own per-thread record
};

// Atomic operations performed by the runtime (so shared-memory atomics are not reported as races).
enum SaAtomicOp
{
    SA_ATOMIC_ADD_I32, SA_ATOMIC_ADD_U32, SA_ATOMIC_ADD_U64, SA_ATOMIC_ADD_F32, SA_ATOMIC_ADD_F64,
    SA_ATOMIC_MAX_I32, SA_ATOMIC_MIN_I32, SA_ATOMIC_MAX_U32, SA_ATOMIC_MIN_U32,
    SA_ATOMIC_EXCH_32, SA_ATOMIC_EXCH_64, SA_ATOMIC_CAS_32, SA_ATOMIC_CAS_64,
    SA_ATOMIC_AND_32, SA_ATOMIC_OR_32, SA_ATOMIC_XOR_32
};

enum SaShuffleMode { SA_SHFL_IDX, SA_SHFL_UP, SA_SHFL_DOWN, SA_SHFL_XOR };
enum SaVoteMode { SA_VOTE_BALLOT, SA_VOTE_ANY, SA_VOTE_ALL };

// Services the runtime offers to kernel code. `file`/`line` name the call site for diagnostics.
struct SaRuntimeApi
{
    unsigned abi_version;
    void (*access)(unsigned long address, unsigned long bytes, int is_write);
    void (*misaligned)(const void* ubsan_type_mismatch_data, unsigned long address);
    void (*syncthreads)(const char* file, int line);
    void (*syncwarp)(unsigned mask, const char* file, int line);
    unsigned (*vote)(int mode, unsigned mask, int predicate, const char* file, int line);
    void (*shuffle)(int mode, unsigned mask, const void* value, void* result, int bytes, int lane_argument, int width,
                    const char* file, int line);
    void* (*shared_static)(int site, unsigned long bytes, unsigned long alignment);
    void* (*shared_dynamic)(unsigned long alignment);
    unsigned long long (*atomic)(int op, void* address, unsigned long long operand, unsigned long long compare,
                                 const char* file, int line);
    void (*mma_m16n8k16_bf16)(float* c, const unsigned* a, unsigned b0, unsigned b1, const char* file, int line);
    void (*ldmatrix)(unsigned* result, int matrices, int transpose, const void* row_address, const char* file, int line);
    void (*cp_async)(void* shared, const void* global, int bytes, int source_bytes, const char* file, int line);
    void (*cp_async_commit)(void);
    void (*cp_async_wait)(int pending_groups, const char* file, int line);
    unsigned (*cvta_to_shared)(const void* address, const char* file, int line);
    void (*trap)(const char* what, const char* file, int line);
    long long (*clock)(void);
};

// One extern "C" __global__ function of a module, as the registration block at the end of the module describes it.
struct SaKernelEntry
{
    const char* name;
    void* function;
    void (*invoke)(void* function, void* const* arguments); // calls function with the unpacked arguments
    unsigned parameter_count;
    const unsigned* parameter_sizes;
    const unsigned* parameter_alignments;
    const char* signature;   // the compiler's spelling of the parameter types, for messages
    unsigned max_threads;    // __launch_bounds__, 0 when the kernel has none
};

// A `__shared__` declaration in the source: the runtime lays them out per block, on first execution.
struct SaSharedSite
{
    const char* name;
    const char* file;
    int line;
};

struct SaModuleInfo
{
    unsigned abi_version;
    unsigned kernel_count;
    const SaKernelEntry* kernels;
    unsigned shared_site_count;
    const SaSharedSite* shared_sites;
};

// The image the NVRTC stand-in hands out as CUBIN: this magic, the shared object's size (8 bytes), the shared object.
#define SA_IMAGE_MAGIC "SA-STANDIN-IMG1\n"
#define SA_IMAGE_MAGIC_BYTES 16

// The one symbol a module exports. Returns 0 on success.
typedef int (*SaModuleInit)(const SaRuntimeApi* api, SaModuleInfo* info);
#define SA_MODULE_INIT_SYMBOL "sa_module_init"
