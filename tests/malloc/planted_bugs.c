/* SPDX-License-Identifier: MIT
 * One planted bug per run, for HEAPKIT_DEBUG=1: "double" (a double free), "invalid" (a free of a
 * pointer into a block), "overflow" (one byte past a block), "overflow_32_N" (32 bytes past an
 * N-byte block, its neighbour and more blocks allocated and freed before it), "underflow_N" (16
 * bytes before an N-byte block), "write_after_free", "leak" (a block never freed); and for
 * HEAPKIT_GUARD, bugs that must be stopped at the access, before the program goes on to print
 * NOT_CAUGHT: "read_past_N", "read_after_free_N", "write_before_N", "write_zero_size". Each bug lives in a function of its own, which the report must name (the
 * program is linked with -rdynamic so that its functions have names at run time). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Keeps the compiler from seeing through the block (and eliding malloc and free). */
static void escape(void* pointer) { __asm__ volatile("" : : "r"(pointer) : "memory"); }

__attribute__((noinline)) void free_twice(void) {
    char* p = malloc(24);
    escape(p);
    free(p);
    free(p);
}

__attribute__((noinline)) void free_the_middle(void) {
    char* p = malloc(32);
    escape(p);
    free(p + 8);
}

__attribute__((noinline)) void write_one_past(void) {
    char* p = malloc(10);
    escape(p);
    p[10] = 'x';
    free(p);
}

__attribute__((noinline)) void overflow_by_32(size_t size) {
    char* p = malloc(size);
    char* neighbour = malloc(size);
    escape(p);
    escape(neighbour);
    memset(p, 'x', size + 32);
    for (int i = 0; i < 100; ++i) { /* the debug heap's own bookkeeping must not have been hit */
        char* more = malloc(8);
        escape(more);
        free(more);
    }
    free(neighbour);
    free(p);
}

__attribute__((noinline)) void underflow_by_16(size_t size) {
    char* p = malloc(size);
    escape(p);
    memset(p - 16, 'x', 16);
    free(p);
}

__attribute__((noinline)) void write_after_free(void) {
    char* p = malloc(32);
    escape(p);
    free(p);
    p[3] = 1;
}

__attribute__((noinline)) void leak_a_buffer(void) {
    char* p = malloc(100);
    escape(p);
    memset(p, 1, 100);
}

static volatile char sink;

__attribute__((noinline)) void read_past(size_t size) {
    char* p = malloc(size);
    escape(p);
    sink = p[size];
}

__attribute__((noinline)) void read_after_free(size_t size) {
    char* p = malloc(size);
    escape(p);
    free(p);
    sink = p[size / 2];
}

__attribute__((noinline)) void write_before(size_t size) {
    char* p = malloc(size);
    escape(p);
    p[-1] = 'x';
}

__attribute__((noinline)) void write_zero_size(void) {
    char* p = malloc(0);
    escape(p);
    p[0] = 'x';
}

int main(int argc, char** argv) {
    const char* bug = argc > 1 ? argv[1] : "";
    if (strcmp(bug, "double") == 0) free_twice();
    if (strcmp(bug, "invalid") == 0) free_the_middle();
    if (strcmp(bug, "overflow") == 0) write_one_past();
    if (strcmp(bug, "write_after_free") == 0) write_after_free();
    if (strcmp(bug, "leak") == 0) leak_a_buffer();
    if (strncmp(bug, "overflow_32_", 12) == 0) overflow_by_32(strtoul(bug + 12, NULL, 10));
    if (strncmp(bug, "underflow_", 10) == 0) underflow_by_16(strtoul(bug + 10, NULL, 10));
    if (strncmp(bug, "read_past_", 10) == 0) read_past(strtoul(bug + 10, NULL, 10));
    if (strncmp(bug, "read_after_free_", 16) == 0) read_after_free(strtoul(bug + 16, NULL, 10));
    if (strncmp(bug, "write_before_", 13) == 0) write_before(strtoul(bug + 13, NULL, 10));
    if (strcmp(bug, "write_zero_size") == 0) write_zero_size();
    if (strncmp(bug, "read_", 5) == 0 || strncmp(bug, "write_", 6) == 0) puts("NOT_CAUGHT");
    return 0;
}
