/* regs_x86_64.S - register probes for tests/test_fiber.c (x86-64 System V).
 *
 *   void mmf_test_switch_probe(struct mmf_fiber *from, struct mmf_fiber *to,
 *                              uint64_t *out, uint64_t seed);
 *   uintptr_t mmf_test_sp(void);
 *
 * ABI rule checked: rbx, rbp, r12, r13, r14, r15 and rsp are callee-saved,
 * so they must hold the same values after mmf_fiber_switch(from, to) returns
 * as before the call, although other fibers ran (and loaded their own values
 * into these registers) in between.  No XMM register is callee-saved here.
 *
 * mmf_test_switch_probe saves its caller's six registers, loads register i
 * (in the order rbx rbp r12 r13 r14 r15) with seed + i * 0x9e3779b97f4a7c15,
 * writes rsp to out[6], calls mmf_fiber_switch(from, to) with rsp 16-aligned,
 * then writes the six registers to out[0..5] and rsp to out[7], and restores
 * its caller's registers.  Its frame is addressed through rsp only, since
 * rbp holds a test value across the call.
 *
 * Stack alignment rule: rsp is 16-aligned at every call instruction, so at
 * function entry (after the call pushed the return address) rsp % 16 == 8.
 * mmf_test_sp returns its caller's rsp as of the call instruction (rsp + 8
 * on entry); for correctly aligned code that value is 0 mod 16.
 */
	.text
	.globl	mmf_test_switch_probe
	.type	mmf_test_switch_probe,@function
	.p2align 4
mmf_test_switch_probe:
	.cfi_startproc
	pushq	%rbp
	.cfi_def_cfa_offset 16
	.cfi_offset rbp, -16
	pushq	%rbx
	.cfi_def_cfa_offset 24
	.cfi_offset rbx, -24
	pushq	%r12
	.cfi_def_cfa_offset 32
	.cfi_offset r12, -32
	pushq	%r13
	.cfi_def_cfa_offset 40
	.cfi_offset r13, -40
	pushq	%r14
	.cfi_def_cfa_offset 48
	.cfi_offset r14, -48
	pushq	%r15
	.cfi_def_cfa_offset 56
	.cfi_offset r15, -56
	/* out survives the call here; 7 pushes make rsp 16-aligned again. */
	pushq	%rdx
	.cfi_def_cfa_offset 64

	movabsq	$0x9e3779b97f4a7c15, %rax
	movq	%rcx, %rbx
	leaq	(%rbx,%rax), %rbp
	leaq	(%rbp,%rax), %r12
	leaq	(%r12,%rax), %r13
	leaq	(%r13,%rax), %r14
	leaq	(%r14,%rax), %r15
	movq	%rsp, 48(%rdx)
	callq	mmf_fiber_switch@PLT

	movq	(%rsp), %rdx
	movq	%rbx, 0(%rdx)
	movq	%rbp, 8(%rdx)
	movq	%r12, 16(%rdx)
	movq	%r13, 24(%rdx)
	movq	%r14, 32(%rdx)
	movq	%r15, 40(%rdx)
	movq	%rsp, 56(%rdx)

	addq	$8, %rsp
	.cfi_def_cfa_offset 56
	popq	%r15
	.cfi_def_cfa_offset 48
	.cfi_restore r15
	popq	%r14
	.cfi_def_cfa_offset 40
	.cfi_restore r14
	popq	%r13
	.cfi_def_cfa_offset 32
	.cfi_restore r13
	popq	%r12
	.cfi_def_cfa_offset 24
	.cfi_restore r12
	popq	%rbx
	.cfi_def_cfa_offset 16
	.cfi_restore rbx
	popq	%rbp
	.cfi_def_cfa_offset 8
	.cfi_restore rbp
	ret
	.cfi_endproc
	.size	mmf_test_switch_probe, .-mmf_test_switch_probe

	.globl	mmf_test_sp
	.type	mmf_test_sp,@function
	.p2align 4
mmf_test_sp:
	.cfi_startproc
	leaq	8(%rsp), %rax
	ret
	.cfi_endproc
	.size	mmf_test_sp, .-mmf_test_sp

	.section .note.GNU-stack,"",@progbits
