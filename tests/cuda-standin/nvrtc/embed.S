# embed.S — the shim headers, carried inside the NVRTC stand-in so the library and the headers it compiles kernels
# behind can never disagree (and so their text is part of every cache key). Assembled with -I pointing at shim/.
    .section .rodata
    .globl sa_embedded_shim
    .globl sa_embedded_shim_end
sa_embedded_shim:
    .incbin "cuda_shim.h"
sa_embedded_shim_end:
    .byte 0
    .globl sa_embedded_abi
    .globl sa_embedded_abi_end
sa_embedded_abi:
    .incbin "sa_abi.h"
sa_embedded_abi_end:
    .byte 0
    .section .note.GNU-stack,"",@progbits
