# switch.S — fiber context switch for x86-64 (System V): saves the callee-saved registers, MXCSR and the x87
# control word on the current stack, stores the stack pointer, and resumes the other context. No system call, which
# is why it is used instead of swapcontext: a block switches fibers at every barrier and warp collective.
    .text
    .globl sa_switch_context
    .type sa_switch_context, @function
# void sa_switch_context(void** save_stack_pointer, void* load_stack_pointer)
sa_switch_context:
    .cfi_startproc
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    subq $8, %rsp
    stmxcsr (%rsp)
    fnstcw 4(%rsp)
    movq %rsp, (%rdi)
    movq %rsi, %rsp
    ldmxcsr (%rsp)
    fldcw 4(%rsp)
    addq $8, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret
    .cfi_endproc
    .size sa_switch_context, .-sa_switch_context

# First entry of a fresh fiber: r13 holds the function, r12 its argument (see prepareFiber in exec.cpp).
    .globl sa_fiber_start
    .type sa_fiber_start, @function
sa_fiber_start:
    .cfi_startproc
    .cfi_undefined rip
    movq %r12, %rdi
    callq *%r13
    ud2
    .cfi_endproc
    .size sa_fiber_start, .-sa_fiber_start

    .section .note.GNU-stack,"",@progbits
