/* SPDX-License-Identifier: MIT
 * What libheapkit_malloc.so tells a program about itself beyond the standard allocation
 * functions: its counters, by the path each allocation took. Valid in C and C++; call it in a
 * program linked with the library or running under it (LD_PRELOAD, `heapkit run`). */
#ifndef HEAPKIT_MALLOC_H
#define HEAPKIT_MALLOC_H

#ifdef __cplusplus
extern "C" {
#endif

struct heapkit_malloc_statistics {
    unsigned long long allocations; /* malloc, calloc, new, ... (not realloc) */
    unsigned long long frees;
    unsigned long long reallocs;
    unsigned long long from_slabs; /* blocks up to 16 KiB, from the calling thread's size-class slabs */
    unsigned long long
        from_heap; /* up to 512 KiB: from a thread cache of medium blocks or an arena (a boundary-tag heap under its lock) */
    unsigned long long from_mmap;  /* large blocks: a mapping each (or a cached one) */
    unsigned long long peak_bytes; /* most usable bytes live at once */
    unsigned long long live_bytes;
    unsigned long long live_blocks;
};

/* Fills *out and returns 1 when the library counts (HEAPKIT_STATS=1 in the environment at
 * start); returns 0 and fills *out with zeros otherwise. */
int heapkit_malloc_read_statistics(struct heapkit_malloc_statistics* out);

/* Checks the calling thread's slabs and the shared heap: NULL when every invariant holds, else
 * a line naming the first that does not. O(free blocks + pages); for tests and stress runs. */
const char* heapkit_malloc_validate(void);

/* With HEAPKIT_DEBUG=1: writes the leak report now, as debug mode does at exit (blocks no pointer
 * in the program's data, thread-local data, the calling thread's stack or a reachable block
 * leads to, by site), and returns how many blocks are definitely lost (not counting suppressed
 * ones); -1 outside debug mode. */
long heapkit_malloc_leak_check(void);

/* "heapkit malloc VERSION": lets a program see that heapkit's malloc is the one in use. */
const char* heapkit_malloc_version(void);

#ifdef __cplusplus
}
#endif

#endif
