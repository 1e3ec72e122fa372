/*
 * What every harness in tests/fuzz/ shares: libFuzzer's entry points and
 * the check that turns a broken property into a crash the fuzzer keeps.
 *
 * A harness is built twice: with clang -fsanitize=fuzzer,address,undefined
 * (make fuzz), and with the Makefile's compiler, AddressSanitizer, UBSan
 * and replay.c's main() (make fuzz-replay, run by make test on the
 * regression inputs and the seed corpora).
 */

#ifndef MTAPI_FUZZ_H
#define MTAPI_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* A property of the code under test that does not hold: a finding. */
#define FUZZ_CHECK(cond)	do {					\
	if (!(cond)) {							\
		fprintf(stderr, "%s:%d: property failed: %s\n",		\
		    __FILE__, __LINE__, #cond);				\
		abort();						\
	}								\
} while (0)

/* The input as a C string (the code under test reads C strings). */
static inline char *
fuzz_cstring(const uint8_t *data, size_t size)
{
	char	*s;

	if ((s = malloc(size + 1)) == NULL)
		abort();
	if (size > 0)
		__builtin_memcpy(s, data, size);
	s[size] = '\0';

	return (s);
}

#endif
