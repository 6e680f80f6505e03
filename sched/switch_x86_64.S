/* switch_x86_64.S - the context switch for x86-64 System V.
 *
 *   void mmf_ctx_switch(void **save_sp, void *load_sp);
 *
 * ABI rule implemented: rbx, rbp, r12-r15 are callee-saved and are the only
 * general registers a caller expects to survive a call; no XMM register is
 * callee-saved in this ABI.  The MXCSR and x87 control words are callee-saved
 * too, but nothing in mmfuzz changes them, so they are not switched.
 * The switch pushes the six callee-saved registers on the old stack, stores
 * rsp to *save_sp, loads load_sp, pops the new fiber's six registers and
 * returns into it.  No system call, no signal mask.
 *
 * A new fiber's initial frame (built by fiber.c) makes that ret land in
 * mmf_ctx_trampoline with r12 = argument and r13 = entry.
 */
	.text
	.globl	mmf_ctx_switch
	.type	mmf_ctx_switch,@function
	.p2align 4
mmf_ctx_switch:
	.cfi_startproc
	pushq	%rbp
	pushq	%rbx
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
	movq	%rsp, (%rdi)
	movq	%rsi, %rsp
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%rbx
	popq	%rbp
	ret
	.cfi_endproc
	.size	mmf_ctx_switch, .-mmf_ctx_switch

	.globl	mmf_ctx_trampoline
	.type	mmf_ctx_trampoline,@function
	.p2align 4
mmf_ctx_trampoline:
	.cfi_startproc
	.cfi_undefined rip
	movq	%r12, %rdi
	callq	*%r13
	/* The entry returned instead of exiting: the protector aborts. */
	callq	mmf_fiber_returned
	ud2
	.cfi_endproc
	.size	mmf_ctx_trampoline, .-mmf_ctx_trampoline

	.section .note.GNU-stack,"",@progbits
