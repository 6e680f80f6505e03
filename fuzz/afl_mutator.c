/* afl_mutator.c - the decision-space mutator (mutator.h) as an AFL++
 * custom mutator library (AFL_CUSTOM_MUTATOR_LIBRARY).  Built from this
 * file and mutator.c alone, with the host compiler, as
 * build/afl/fuzz/mmfuzz_afl_mutator.so; fuzz/campaign/afl.sh loads it.
 *
 * The target publishes every input's shape (what its run consumed) in the
 * file named by MMFUZZ_SHAPE_FILE, which afl.sh sets for both processes;
 * without it the mutator guesses the shape from the input's size.
 * AFL++ gives a second queue entry now and then (add_buf): then, one time
 * in four, the two are spliced at a decision. */
#include "mutator.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct state {
	uint64_t seed, n;
	uint8_t buf[MMF_MUT_INPUT_MAX];
};

void *afl_custom_init(void *afl, unsigned int seed);
size_t afl_custom_fuzz(void *data, uint8_t *buf, size_t buf_size, uint8_t **out_buf,
		       uint8_t *add_buf, size_t add_buf_size, size_t max_size);
void afl_custom_deinit(void *data);
uint8_t afl_custom_queue_new_entry(void *data, const uint8_t *filename_new_queue,
				   const uint8_t *filename_orig_queue);

void *afl_custom_init(void *afl, unsigned int seed)
{
	(void)afl;
	struct state *st = calloc(1, sizeof(*st));
	if (!st)
		return NULL;
	st->seed = seed;
	const char *path = getenv("MMFUZZ_SHAPE_FILE");
	if (path && *path)
		mmf_shape_open(path);   /* on failure: guessed shapes */
	const char *err = mmf_mut_env();
	if (err) {
		fprintf(stderr, "mmfuzz: %s\n", err);
		free(st);
		return NULL;            /* afl-fuzz stops: the mutator failed to start */
	}
	return st;
}

size_t afl_custom_fuzz(void *data, uint8_t *buf, size_t buf_size, uint8_t **out_buf,
		       uint8_t *add_buf, size_t add_buf_size, size_t max_size)
{
	struct state *st = data;
	uint64_t r = mmf_mut_mix(st->seed ^ mmf_mut_mix(st->n++));
	max_size = mmf_mut_fit(max_size);
	buf_size = mmf_mut_fit(buf_size);
	add_buf_size = mmf_mut_fit(add_buf_size);
	struct mmf_shape sa, sb;
	bool ha = mmf_shape_get(mmf_input_hash(buf, buf_size), &sa);
	size_t n;
	if (add_buf && add_buf_size && r % 4 == 0) {
		bool hb = mmf_shape_get(mmf_input_hash(add_buf, add_buf_size), &sb);
		n = mmf_crossover(buf, buf_size, ha ? &sa : NULL, add_buf, add_buf_size,
				  hb ? &sb : NULL, st->buf, max_size, r >> 2);
	} else {
		size_t k = buf_size < max_size ? buf_size : max_size;
		memcpy(st->buf, buf, k);
		n = mmf_mutate(st->buf, k, max_size, r >> 2, ha ? &sa : NULL, -1);
	}
	*out_buf = st->buf;
	return n;
}

/* A new queue entry has just run in the target: its shape is in the
 * shared table now, where later runs would soon overwrite it; pin it. */
uint8_t afl_custom_queue_new_entry(void *data, const uint8_t *filename_new_queue,
				   const uint8_t *filename_orig_queue)
{
	struct state *st = data;
	(void)filename_orig_queue;
	FILE *f = fopen((const char *)filename_new_queue, "rb");
	if (!f)
		return 0;
	size_t n = fread(st->buf, 1, sizeof(st->buf), f);
	fclose(f);
	struct mmf_shape sh;
	mmf_shape_get(mmf_input_hash(st->buf, n), &sh);
	return 0;
}

void afl_custom_deinit(void *data) { free(data); }
