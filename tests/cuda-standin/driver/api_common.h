// api_common.h — helpers shared by the exported entry points: the export attribute and the prologue every call runs
// (serialize, clear the previous call's error detail, refuse work before cuInit and after a sticky fault).
#pragma once
#include "standin.h"

#define SA_API extern "C" __attribute__((visibility("default")))

#define SA_ENTER()                                                      \
    std::lock_guard<std::recursive_mutex> sa_api_lock(sa::state().api); \
    sa::state().lastDetail.clear();                                     \
    sa::state().lastError = CUDA_SUCCESS

#define SA_ENTER_INIT() \
    SA_ENTER();         \
    if (!sa::state().initialized) return CUDA_ERROR_NOT_INITIALIZED

#define SA_ENTER_CONTEXT() \
    SA_ENTER_INIT();       \
    if (sa::state().sticky != CUDA_SUCCESS) return sa::state().sticky

#define SA_DEVICE_NAME "StyleAlign CUDA stand-in (CPU, sm_90-class; not a GPU)"
#define SA_PRIMARY_CONTEXT reinterpret_cast<CUcontext>(0x5ac0)
#define SA_DEFAULT_POOL reinterpret_cast<CUmemoryPool>(0x5ac1)
