/* SPDX-License-Identifier: MIT
 * The process's resident memory, from /proc/self/statm: what the RSS tests of heapkit's malloc
 * (rss_after_peak.c, introspection.c) measure. */
#ifndef HEAPKIT_TESTS_RESIDENT_BYTES_H
#define HEAPKIT_TESTS_RESIDENT_BYTES_H

#include <stdio.h>
#include <unistd.h>

/* Resident bytes now, or -1 when /proc/self/statm cannot be read. */
static long resident_bytes(void) {
    long pages_total = 0, pages_resident = 0;
    FILE* statm = fopen("/proc/self/statm", "r");
    if (statm == NULL || fscanf(statm, "%ld %ld", &pages_total, &pages_resident) != 2) return -1;
    fclose(statm);
    return pages_resident * sysconf(_SC_PAGESIZE);
}

#endif
