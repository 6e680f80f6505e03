/* symbolize.c - see symbolize.h.  Reads the ELF symbol table of
 * /proc/self/exe (the .symtab, which keeps static functions; .dynsym as a
 * fallback) into a sorted array on first use. */
#define _GNU_SOURCE
#include "symbolize.h"

#include <dlfcn.h>
#include <elf.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

struct sym {
	uintptr_t lo, hi;       /* link-time addresses */
	const char *name;
};

static struct sym *syms;
static size_t nsyms;
static int loaded;              /* 0: not yet; 1: loaded; -1: unavailable */
static uintptr_t bias;          /* load address - link address */

static int by_lo(const void *a, const void *b)
{
	const struct sym *x = a, *y = b;
	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

static void load(void)
{
	loaded = -1;
	int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	struct stat st;
	void *m = MAP_FAILED;
	if (!fstat(fd, &st) && st.st_size > (off_t)sizeof(Elf64_Ehdr))
		m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (m == MAP_FAILED)
		return;
	const char *base = m;
	const Elf64_Ehdr *eh = m;
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG) || eh->e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh->e_shoff + (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr) > (uint64_t)st.st_size)
		return;
	const Elf64_Shdr *sh = (const Elf64_Shdr *)(base + eh->e_shoff);
	const Elf64_Shdr *tab = NULL;
	for (int pass = 0; pass < 2 && !tab; pass++)
		for (int i = 0; i < eh->e_shnum; i++)
			if (sh[i].sh_type == (pass ? SHT_DYNSYM : SHT_SYMTAB)) {
				tab = &sh[i];
				break;
			}
	if (!tab || tab->sh_link >= eh->e_shnum)
		return;
	const Elf64_Sym *sy = (const Elf64_Sym *)(base + tab->sh_offset);
	const char *str = base + sh[tab->sh_link].sh_offset;
	size_t n = tab->sh_size / sizeof(Elf64_Sym);
	syms = calloc(n ? n : 1, sizeof(*syms));
	if (!syms)
		return;
	for (size_t i = 0; i < n; i++)
		if (ELF64_ST_TYPE(sy[i].st_info) == STT_FUNC && sy[i].st_value && sy[i].st_size)
			syms[nsyms++] = (struct sym){sy[i].st_value, sy[i].st_value + sy[i].st_size,
						     str + sy[i].st_name};
	qsort(syms, nsyms, sizeof(*syms), by_lo);
	/* Where the executable is loaded: a position-independent one moves. */
	Dl_info di;
	if (eh->e_type == ET_DYN && dladdr((void *)&load, &di) && di.dli_fbase)
		bias = (uintptr_t)di.dli_fbase;
	loaded = 1;     /* the mapping stays: the names live in it */
}

size_t mmf_symbolize(const void *pc, char *buf, size_t len)
{
	if (!len)
		return 0;
	if (!loaded)
		load();
	uintptr_t a = (uintptr_t)pc - bias;
	size_t lo = 0, hi = nsyms;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (syms[mid].lo <= a)
			lo = mid + 1;
		else
			hi = mid;
	}
	int n;
	if (lo && a < syms[lo - 1].hi)
		n = snprintf(buf, len, "%s+0x%lx", syms[lo - 1].name, (unsigned long)(a - syms[lo - 1].lo));
	else {
		Dl_info di;
		if (dladdr(pc, &di) && di.dli_sname && di.dli_saddr)
			n = snprintf(buf, len, "%s+0x%lx", di.dli_sname,
				     (unsigned long)((const char *)pc - (const char *)di.dli_saddr));
		else
			n = snprintf(buf, len, "%p", pc);
	}
	return n < 0 ? 0 : (size_t)n < len ? (size_t)n : len - 1;
}

int mmf_walk_frames(void *frame, const void *lo, const void *hi, void **pcs, int max)
{
	int n = 0;
	uintptr_t fp = (uintptr_t)frame;
	while (n < max && fp >= (uintptr_t)lo && fp + 16 <= (uintptr_t)hi && !(fp & 7)) {
		uintptr_t next = ((uintptr_t *)fp)[0];
		void *ret = ((void **)fp)[1];
		if (!ret)
			break;
		pcs[n++] = (char *)ret - 1;     /* inside the call, not after it */
		if (next <= fp)
			break;
		fp = next;
	}
	return n;
}
