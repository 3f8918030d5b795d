/* SPDX-License-Identifier: MIT
 * RSS comes back down after a peak, for the heap and for the slabs: 256 MiB in 100 KiB blocks
 * (below the large-block threshold, so they live in the heap's arenas), then 256 MiB in 64-byte
 * blocks (slabs), are written and freed; a little over a second later (heapkit returns freed
 * memory at most about once a second, at a call that reaches an arena) a 300 KiB block (above
 * the thread caches' sizes) is allocated and freed, and resident memory must have fallen below
 * a quarter of the peak. Run under LD_PRELOAD by ctest. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "resident_bytes.h"

/* 256 MiB in `count` blocks of `block` bytes, written, then freed; 0 when RSS came down. */
static int peak_and_release(const char* name, size_t count, size_t block) {
    char** blocks = malloc(count * sizeof *blocks);
    if (blocks == NULL) return 2;
    for (size_t i = 0; i < count; ++i) {
        blocks[i] = malloc(block);
        if (blocks[i] == NULL) return 2;
        memset(blocks[i], (int)i, block);
    }
    const long peak = resident_bytes();
    for (size_t i = 0; i < count; ++i) free(blocks[i]);
    free(blocks);
    const struct timespec wait = {1, 200 * 1000 * 1000};
    nanosleep(&wait, NULL);
    free(malloc(300 << 10));
    const long after = resident_bytes();
    printf("rss_after_peak %s: peak %ld MiB, after freeing %ld MiB\n", name, peak >> 20, after >> 20);
    return peak > (200L << 20) && after < peak / 4 ? 0 : 1;
}

int main(void) {
    const int heap = peak_and_release("heap (100 KiB blocks)", 2560, 100 << 10);
    const int slabs = peak_and_release("slabs (64-byte blocks)", (size_t)4 << 20, 64);
    return heap != 0 ? heap : slabs;
}
