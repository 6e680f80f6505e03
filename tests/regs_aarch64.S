/* regs_aarch64.S - register probes for tests/test_fiber.c (AArch64, AAPCS64).
 *
 *   void mmf_test_switch_probe(struct mmf_fiber *from, struct mmf_fiber *to,
 *                              uint64_t *out, uint64_t seed);
 *   uintptr_t mmf_test_sp(void);
 *
 * ABI rule checked: x19-x28, the frame pointer x29, the low 64 bits of
 * v8-v15 (d8-d15) and sp are callee-saved, so they must hold the same values
 * after mmf_fiber_switch(from, to) returns as before the call, although
 * other fibers ran (and loaded their own values into these registers) in
 * between.  The upper halves of v8-v15 are not callee-saved and not checked.
 *
 * mmf_test_switch_probe saves its caller's x19-x30 and d8-d15, loads
 * register i (in the order x19..x28, x29, d8..d15) with
 * seed + i * 0x9e3779b97f4a7c15, writes sp to out[19], calls
 * mmf_fiber_switch(from, to), then writes the 19 registers to out[0..18] and
 * sp to out[20], and restores its caller's registers.  Its frame is
 * addressed through sp only, since x29 holds a test value across the call.
 *
 * Stack alignment rule: sp is 16-aligned at all times, in particular at
 * every call and at function entry (bl does not touch sp).  Linux makes the
 * hardware fault on an sp-relative access with a misaligned sp, but
 * qemu-user does not, so the tests compare explicitly: mmf_test_sp returns
 * its caller's sp, which must be 0 mod 16.
 */
	.text
	.globl	mmf_test_switch_probe
	.type	mmf_test_switch_probe,%function
	.p2align 4
mmf_test_switch_probe:
	.cfi_startproc
	/* Frame (176 bytes): x29 x30 | x19..x28 | d8..d15 | out, pad. */
	stp	x29, x30, [sp, #-176]!
	.cfi_def_cfa_offset 176
	.cfi_offset x29, -176
	.cfi_offset x30, -168
	stp	x19, x20, [sp, #16]
	stp	x21, x22, [sp, #32]
	stp	x23, x24, [sp, #48]
	stp	x25, x26, [sp, #64]
	stp	x27, x28, [sp, #80]
	.cfi_offset x19, -160
	.cfi_offset x20, -152
	.cfi_offset x21, -144
	.cfi_offset x22, -136
	.cfi_offset x23, -128
	.cfi_offset x24, -120
	.cfi_offset x25, -112
	.cfi_offset x26, -104
	.cfi_offset x27, -96
	.cfi_offset x28, -88
	stp	d8, d9, [sp, #96]
	stp	d10, d11, [sp, #112]
	stp	d12, d13, [sp, #128]
	stp	d14, d15, [sp, #144]
	.cfi_offset d8, -80
	.cfi_offset d9, -72
	.cfi_offset d10, -64
	.cfi_offset d11, -56
	.cfi_offset d12, -48
	.cfi_offset d13, -40
	.cfi_offset d14, -32
	.cfi_offset d15, -24
	str	x2, [sp, #160]

	movz	x9, #0x7c15
	movk	x9, #0x7f4a, lsl #16
	movk	x9, #0x79b9, lsl #32
	movk	x9, #0x9e37, lsl #48
	mov	x19, x3
	add	x20, x19, x9
	add	x21, x20, x9
	add	x22, x21, x9
	add	x23, x22, x9
	add	x24, x23, x9
	add	x25, x24, x9
	add	x26, x25, x9
	add	x27, x26, x9
	add	x28, x27, x9
	add	x29, x28, x9
	add	x10, x29, x9
	fmov	d8, x10
	add	x10, x10, x9
	fmov	d9, x10
	add	x10, x10, x9
	fmov	d10, x10
	add	x10, x10, x9
	fmov	d11, x10
	add	x10, x10, x9
	fmov	d12, x10
	add	x10, x10, x9
	fmov	d13, x10
	add	x10, x10, x9
	fmov	d14, x10
	add	x10, x10, x9
	fmov	d15, x10
	mov	x10, sp
	str	x10, [x2, #152]
	bl	mmf_fiber_switch

	ldr	x2, [sp, #160]
	stp	x19, x20, [x2, #0]
	stp	x21, x22, [x2, #16]
	stp	x23, x24, [x2, #32]
	stp	x25, x26, [x2, #48]
	stp	x27, x28, [x2, #64]
	str	x29, [x2, #80]
	stp	d8, d9, [x2, #88]
	stp	d10, d11, [x2, #104]
	stp	d12, d13, [x2, #120]
	stp	d14, d15, [x2, #136]
	mov	x10, sp
	str	x10, [x2, #160]

	ldp	x19, x20, [sp, #16]
	ldp	x21, x22, [sp, #32]
	ldp	x23, x24, [sp, #48]
	ldp	x25, x26, [sp, #64]
	ldp	x27, x28, [sp, #80]
	ldp	d8, d9, [sp, #96]
	ldp	d10, d11, [sp, #112]
	ldp	d12, d13, [sp, #128]
	ldp	d14, d15, [sp, #144]
	ldp	x29, x30, [sp], #176
	.cfi_def_cfa_offset 0
	.cfi_restore x29
	.cfi_restore x30
	.cfi_restore x19
	.cfi_restore x20
	.cfi_restore x21
	.cfi_restore x22
	.cfi_restore x23
	.cfi_restore x24
	.cfi_restore x25
	.cfi_restore x26
	.cfi_restore x27
	.cfi_restore x28
	.cfi_restore d8
	.cfi_restore d9
	.cfi_restore d10
	.cfi_restore d11
	.cfi_restore d12
	.cfi_restore d13
	.cfi_restore d14
	.cfi_restore d15
	ret
	.cfi_endproc
	.size	mmf_test_switch_probe, .-mmf_test_switch_probe

	.globl	mmf_test_sp
	.type	mmf_test_sp,%function
	.p2align 4
mmf_test_sp:
	.cfi_startproc
	mov	x0, sp
	ret
	.cfi_endproc
	.size	mmf_test_sp, .-mmf_test_sp

	.section .note.GNU-stack,"",%progbits
