/* SPDX-License-Identifier: MIT
 * RSS comes back down after a peak: 256 MiB in 100 KiB blocks (below the large-block threshold,
 * so they live in the heap's regions) are written and freed; resident memory must fall back
 * below a quarter of the peak. Run under LD_PRELOAD by ctest. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static long resident_bytes(void) {
    long pages_total = 0, pages_resident = 0;
    FILE* statm = fopen("/proc/self/statm", "r");
    if (statm == NULL || fscanf(statm, "%ld %ld", &pages_total, &pages_resident) != 2) return -1;
    fclose(statm);
    return pages_resident * sysconf(_SC_PAGESIZE);
}

int main(void) {
    enum { count = 2560, block = 100 << 10 };
    static char* blocks[count];
    for (int i = 0; i < count; ++i) {
        blocks[i] = malloc(block);
        if (blocks[i] == NULL) return 2;
        memset(blocks[i], i, block);
    }
    const long peak = resident_bytes();
    for (int i = 0; i < count; ++i) free(blocks[i]);
    const long after = resident_bytes();
    printf("rss_after_peak: peak %ld MiB, after freeing %ld MiB\n", peak >> 20, after >> 20);
    return peak > (200L << 20) && after < peak / 4 ? 0 : 1;
}
