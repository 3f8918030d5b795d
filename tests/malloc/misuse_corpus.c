/* SPDX-License-Identifier: MIT
 * The kinds of heap misuse a release malloc is judged on (the public security suites' kinds,
 * written for heapkit): `misuse_corpus KIND SIZE` plants one bug in a block of SIZE bytes and
 * prints NOT_CAUGHT when the program got past it. A malloc stops the bug when the program dies
 * (a verdict and abort, or a fault) before that line. Kinds:
 *   overflow_1, overflow_32, overflow_1m       a byte 1, 32 or 1 MiB past the block's end, then free
 *   underflow_1, underflow_32, underflow_1m    a byte as far before its start, then free
 *   copy_overflow_1, copy_overflow_32          memcpy of size + 1 or size + 32 bytes into it, then free
 *   copy_underflow_1, copy_underflow_32        memcpy into the bytes before it, then free
 *   double_free                                free twice in a row
 *   double_free_later                          free, other blocks come and go, free again
 *   double_free_after_reuse                    free, a same-sized malloc, free the first pointer again
 *   free_interior, free_far, free_unaligned    free of block + 16, block + 2^30, block + 1
 *   free_stack                                 free of a local variable's address
 *   write_after_free                           write the freed block, stop there
 *   write_after_free_reuse                     write the freed block, then same-sized mallocs and frees
 *   zero_after_free                            the freed block still holds what was written
 *   zero_on_malloc                             a fresh block holds something other than zeros
 *   reuse_at_once                              free, and the next same-sized malloc returns the same block
 *   reuse_after_realloc                        realloc moves the block, and the next malloc returns the old one
 *   read_zero_size, write_zero_size            a byte of malloc(0) (SIZE unused)
 *   huge_request                               malloc(SIZE_MAX - SIZE) returns a pointer
 * Every planted bug lives in a function of its own, so that verdicts can name it (-rdynamic). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Keeps the compiler from seeing through the block (and eliding malloc, free or the bug). */
static void escape(void* pointer) { __asm__ volatile("" : : "r"(pointer) : "memory"); }
static volatile char sink;

static void not_caught(void) {
    puts("NOT_CAUGHT");
    fflush(stdout);
}

static char* fresh(size_t size) {
    char* block = malloc(size);
    escape(block);
    if (block == NULL) {
        puts("malloc failed");
        exit(2);
    }
    return block;
}

__attribute__((noinline)) void write_past(size_t size, size_t distance) {
    char* block = fresh(size);
    block[size - 1 + distance] ^= 'A'; /* a flip, so that the byte surely changes */
    free(block);
    not_caught();
}

__attribute__((noinline)) void write_before(size_t size, size_t distance) {
    char* block = fresh(size);
    block[-(ptrdiff_t)distance] ^= 'A';
    free(block);
    not_caught();
}

__attribute__((noinline)) void copy_past(size_t size, size_t extra) {
    char* source = fresh(size + extra);
    memset(source, 'A', size + extra);
    char* block = fresh(size);
    memcpy(block, source, size + extra);
    escape(block);
    free(block);
    not_caught();
}

__attribute__((noinline)) void copy_before(size_t size, size_t extra) {
    char* source = fresh(size);
    memset(source, 'A', size);
    char* block = fresh(size);
    memcpy(block - extra, source, size);
    escape(block);
    free(block);
    not_caught();
}

__attribute__((noinline)) void free_twice(size_t size) {
    char* block = fresh(size);
    free(block);
    free(block);
    not_caught();
}

__attribute__((noinline)) void free_twice_later(size_t size) {
    char* block = fresh(size);
    free(block);
    for (int i = 0; i < 1000; ++i) free(fresh(size));
    free(block);
    not_caught();
}

__attribute__((noinline)) void free_twice_after_reuse(size_t size) {
    char* first = fresh(size);
    free(first);
    char* second = fresh(size);
    free(first);
    free(second);
    not_caught();
}

__attribute__((noinline)) void free_shifted(size_t size, size_t shift) {
    char* block = fresh(size);
    free(block + shift);
    not_caught();
}

__attribute__((noinline)) void free_local(void) {
    char local[64];
    escape(local);
    free(local);
    not_caught();
}

__attribute__((noinline)) void write_after_free(size_t size) {
    char* block = fresh(size);
    free(block);
    memset(block, 'A', size);
    not_caught();
}

__attribute__((noinline)) void write_after_free_reuse(size_t size) {
    char* block = fresh(size);
    free(block);
    memset(block, 'A', size);
    for (int i = 0; i < 100000; ++i) free(fresh(size));
    not_caught();
}

static int all_zero(const char* block, size_t size) {
    for (size_t i = 0; i < size; ++i) {
        if (block[i] != 0) return 0;
    }
    return 1;
}

__attribute__((noinline)) void read_after_free(size_t size) {
    char* block = fresh(size);
    memset(block, 'A', size);
    free(block);
    if (!all_zero(block, size)) not_caught();
}

__attribute__((noinline)) void read_fresh(size_t size) {
    const char* block = fresh(size);
    if (!all_zero(block, size)) not_caught();
}

__attribute__((noinline)) void reuse_at_once(size_t size) {
    char* first = fresh(size);
    free(first);
    char* second = fresh(size);
    if (second == first) not_caught();
}

__attribute__((noinline)) void reuse_after_realloc(size_t size) {
    char* first = fresh(size);
    char* moved = realloc(first, size * 4);
    escape(moved);
    char* second = fresh(size);
    if (moved != first && second == first) not_caught();
}

__attribute__((noinline)) void touch_zero_size(int write) {
    char* block = malloc(0);
    escape(block);
    if (block == NULL) return;
    if (write) {
        block[0] = 'A';
    } else {
        sink = block[0];
    }
    not_caught();
}

__attribute__((noinline)) void huge_request(size_t size) {
    char* block = malloc(SIZE_MAX - size);
    escape(block);
    if (block != NULL) not_caught();
}

int main(int argc, char** argv) {
    if (argc != 3) {
        fputs("usage: misuse_corpus KIND SIZE\n", stderr);
        return 2;
    }
    const char* kind = argv[1];
    const size_t size = strtoul(argv[2], NULL, 10);
    const size_t mib = (size_t)1 << 20;
    if (strcmp(kind, "overflow_1") == 0)
        write_past(size, 1);
    else if (strcmp(kind, "overflow_32") == 0)
        write_past(size, 32);
    else if (strcmp(kind, "overflow_1m") == 0)
        write_past(size, mib);
    else if (strcmp(kind, "underflow_1") == 0)
        write_before(size, 1);
    else if (strcmp(kind, "underflow_32") == 0)
        write_before(size, 32);
    else if (strcmp(kind, "underflow_1m") == 0)
        write_before(size, mib);
    else if (strcmp(kind, "copy_overflow_1") == 0)
        copy_past(size, 1);
    else if (strcmp(kind, "copy_overflow_32") == 0)
        copy_past(size, 32);
    else if (strcmp(kind, "copy_underflow_1") == 0)
        copy_before(size, 1);
    else if (strcmp(kind, "copy_underflow_32") == 0)
        copy_before(size, 32);
    else if (strcmp(kind, "double_free") == 0)
        free_twice(size);
    else if (strcmp(kind, "double_free_later") == 0)
        free_twice_later(size);
    else if (strcmp(kind, "double_free_after_reuse") == 0)
        free_twice_after_reuse(size);
    else if (strcmp(kind, "free_interior") == 0)
        free_shifted(size, 16);
    else if (strcmp(kind, "free_far") == 0)
        free_shifted(size, (size_t)1 << 30);
    else if (strcmp(kind, "free_unaligned") == 0)
        free_shifted(size, 1);
    else if (strcmp(kind, "free_stack") == 0)
        free_local();
    else if (strcmp(kind, "write_after_free") == 0)
        write_after_free(size);
    else if (strcmp(kind, "write_after_free_reuse") == 0)
        write_after_free_reuse(size);
    else if (strcmp(kind, "zero_after_free") == 0)
        read_after_free(size);
    else if (strcmp(kind, "zero_on_malloc") == 0)
        read_fresh(size);
    else if (strcmp(kind, "reuse_at_once") == 0)
        reuse_at_once(size);
    else if (strcmp(kind, "reuse_after_realloc") == 0)
        reuse_after_realloc(size);
    else if (strcmp(kind, "read_zero_size") == 0)
        touch_zero_size(0);
    else if (strcmp(kind, "write_zero_size") == 0)
        touch_zero_size(1);
    else if (strcmp(kind, "huge_request") == 0)
        huge_request(size);
    else {
        fprintf(stderr, "misuse_corpus: unknown kind %s\n", kind);
        return 2;
    }
    return 0;
}
