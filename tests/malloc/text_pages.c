/* SPDX-License-Identifier: MIT
 * A short process maps little of libheapkit_malloc.so's code: the functions on every process's
 * path are [[gnu::hot]] (grouped together by the compiler), so that the kernel's fault-around,
 * which maps 64 KiB of a file around each page a process touches, does not map the whole library
 * (the debug, guard-page and profiling machinery) into every short command's RSS. After small,
 * medium and large blocks are allocated, resized and freed, at most half of the library's text may
 * be mapped (present in /proc/self/pagemap). Run under LD_PRELOAD by ctest. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(void) {
    void* blocks[64];
    for (int i = 0; i < 64; ++i) blocks[i] = malloc((size_t)16 << (i % 16)); /* 16 B to 512 KiB */
    for (int i = 0; i < 64; i += 2) blocks[i] = realloc(blocks[i], 3000);
    void* zeroed = calloc(1000, 100);
    void* aligned = NULL;
    if (posix_memalign(&aligned, 4096, 5000) != 0) return 2;
    for (int i = 0; i < 64; ++i) free(blocks[i]);
    free(zeroed);
    free(aligned);

    FILE* maps = fopen("/proc/self/maps", "r");
    const int pagemap = open("/proc/self/pagemap", O_RDONLY);
    if (maps == NULL || pagemap < 0) return 2;
    const uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
    size_t mapped = 0, total = 0;
    char line[4096];
    while (fgets(line, sizeof line, maps) != NULL) {
        uintptr_t start = 0, end = 0;
        char permissions[8] = "";
        if (strstr(line, "libheapkit_malloc") == NULL || sscanf(line, "%lx-%lx %7s", &start, &end, permissions) != 3 ||
            strcmp(permissions, "r-xp") != 0)
            continue;
        for (uintptr_t at = start; at < end; at += page) {
            uint64_t entry = 0;
            if (pread(pagemap, &entry, sizeof entry, (off_t)(at / page * sizeof entry)) != sizeof entry) return 2;
            mapped += (entry >> 63) & 1; /* present */
            ++total;
        }
    }
    printf("text pages mapped: %zu of %zu\n", mapped, total);
    if (total == 0) return 2; /* not preloaded */
    return mapped * 2 <= total ? 0 : 1;
}
