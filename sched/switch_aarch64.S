/* switch_aarch64.S - the context switch for AArch64 (AAPCS64).
 *
 *   void mmf_ctx_switch(void **save_sp, void *load_sp);
 *
 * ABI rule implemented: x19-x28, the frame pointer x29, the link register
 * x30 and the low 64 bits of v8-v15 (d8-d15) are callee-saved.  They are
 * stored in a 160-byte frame on the old stack, sp goes to *save_sp, the new
 * frame is loaded and `ret` jumps to the new fiber's x30.
 *
 * A new fiber's initial frame (built by fiber.c) has x30 = mmf_ctx_trampoline,
 * x19 = argument and x20 = entry.
 */
	.text
	.globl	mmf_ctx_switch
	.type	mmf_ctx_switch,%function
	.p2align 4
mmf_ctx_switch:
	sub	sp, sp, #160
	stp	x19, x20, [sp, #0]
	stp	x21, x22, [sp, #16]
	stp	x23, x24, [sp, #32]
	stp	x25, x26, [sp, #48]
	stp	x27, x28, [sp, #64]
	stp	x29, x30, [sp, #80]
	stp	d8, d9, [sp, #96]
	stp	d10, d11, [sp, #112]
	stp	d12, d13, [sp, #128]
	stp	d14, d15, [sp, #144]
	mov	x9, sp
	str	x9, [x0]
	mov	sp, x1
	ldp	x19, x20, [sp, #0]
	ldp	x21, x22, [sp, #16]
	ldp	x23, x24, [sp, #32]
	ldp	x25, x26, [sp, #48]
	ldp	x27, x28, [sp, #64]
	ldp	x29, x30, [sp, #80]
	ldp	d8, d9, [sp, #96]
	ldp	d10, d11, [sp, #112]
	ldp	d12, d13, [sp, #128]
	ldp	d14, d15, [sp, #144]
	add	sp, sp, #160
	ret
	.size	mmf_ctx_switch, .-mmf_ctx_switch

	.globl	mmf_ctx_trampoline
	.type	mmf_ctx_trampoline,%function
	.p2align 4
mmf_ctx_trampoline:
	mov	x0, x19
	blr	x20
	/* The entry returned instead of exiting: the protector aborts. */
	bl	mmf_fiber_returned
	brk	#0
	.size	mmf_ctx_trampoline, .-mmf_ctx_trampoline

	.section .note.GNU-stack,"",%progbits
