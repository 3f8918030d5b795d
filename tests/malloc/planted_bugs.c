/* SPDX-License-Identifier: MIT
 * One planted bug per run, for HEAPKIT_DEBUG=1: "double" (a double free), "invalid" (a free of a
 * pointer into a block), "overflow" (one byte past a block), "overflow_32_N" (32 bytes past an
 * N-byte block, its neighbour and more blocks allocated and freed before it), "underflow_N" (16
 * bytes before an N-byte block), "write_after_free", "leak" (a block never freed). Each bug lives in a function of its own, which the report must name (the
 * program is linked with -rdynamic so that its functions have names at run time). */
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

int main(int argc, char** argv) {
    const char* bug = argc > 1 ? argv[1] : "";
    if (strcmp(bug, "double") == 0) free_twice();
    if (strcmp(bug, "invalid") == 0) free_the_middle();
    if (strcmp(bug, "overflow") == 0) write_one_past();
    if (strcmp(bug, "write_after_free") == 0) write_after_free();
    if (strcmp(bug, "leak") == 0) leak_a_buffer();
    if (strncmp(bug, "overflow_32_", 12) == 0) overflow_by_32(strtoul(bug + 12, NULL, 10));
    if (strncmp(bug, "underflow_", 10) == 0) underflow_by_16(strtoul(bug + 10, NULL, 10));
    return 0;
}
