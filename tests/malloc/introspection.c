/* SPDX-License-Identifier: MIT
 * glibc's introspection calls under heapkit's malloc (run under LD_PRELOAD by ctest): they are
 * heapkit's, mallinfo2 follows the blocks of each tier as they are taken and freed (slab blocks in
 * uordblks, mapped blocks in hblks and hblkhd), mallinfo agrees with it, malloc_trim gives freed
 * heap memory back at once (RSS falls without waiting for the timed trim), malloc_stats and
 * malloc_info write glibc's shapes, mallopt and malloc_info's refusal answer as glibc's do (the
 * checks but the first pass under glibc too). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "resident_bytes.h"

static int failures;

static void check(const char* description, int condition) {
    printf("%s %s\n", condition ? "ok  " : "FAIL", description);
    if (!condition) ++failures;
}

/* The whole of a file written by `write_to` (through a temporary file), in `text`. */
static void captured(void (*write_to)(FILE*, int), char* text, size_t room) {
    FILE* file = tmpfile();
    write_to(file, fileno(file));
    fflush(file);
    rewind(file);
    size_t length = fread(text, 1, room - 1, file);
    text[length] = '\0';
    fclose(file);
}

static void stats_to(FILE* file, int fd) {
    (void)file;
    int saved = dup(2);
    dup2(fd, 2);
    malloc_stats();
    dup2(saved, 2);
    close(saved);
}

static void info_to(FILE* file, int fd) {
    (void)fd;
    malloc_info(0, file);
}

int main(void) {
    Dl_info where;
    check("mallinfo2, malloc_trim, malloc_stats, malloc_info and mallopt are heapkit's",
          dladdr((void*)mallinfo2, &where) != 0 && strstr(where.dli_fname, "heapkit") != NULL &&
              dladdr((void*)malloc_trim, &where) != 0 && strstr(where.dli_fname, "heapkit") != NULL &&
              dladdr((void*)malloc_info, &where) != 0 && strstr(where.dli_fname, "heapkit") != NULL &&
              dladdr((void*)mallopt, &where) != 0 && strstr(where.dli_fname, "heapkit") != NULL);

    enum { small_count = 2000, small_bytes = 1000 };
    static void* small[small_count];
    const struct mallinfo2 before = mallinfo2();
    for (int i = 0; i < small_count; ++i) small[i] = malloc(small_bytes);
    const struct mallinfo2 with_small = mallinfo2();
    const size_t grown = with_small.uordblks - before.uordblks;
    check("2000 blocks of 1000 bytes add 2.0-2.6 MB to uordblks", grown >= 2000000 && grown <= 2600000);
    check("arena holds at least what is in use", with_small.arena >= with_small.uordblks);
    for (int i = 0; i < small_count; ++i) free(small[i]);
    const struct mallinfo2 after_small = mallinfo2();
    check("freed, they leave uordblks", after_small.uordblks <= before.uordblks + 64 * 1024);

    enum { large_count = 4 };
    static void* large[large_count];
    for (int i = 0; i < large_count; ++i) large[i] = malloc(8 << 20);
    const struct mallinfo2 with_large = mallinfo2();
    check("4 blocks of 8 MiB are 4 more mapped blocks (hblks) of at least 32 MiB (hblkhd)",
          with_large.hblks == before.hblks + large_count && with_large.hblkhd >= before.hblkhd + ((size_t)32 << 20));
    const struct mallinfo narrow = mallinfo();
    check("mallinfo agrees with mallinfo2", (size_t)narrow.hblks == with_large.hblks &&
                                                (size_t)narrow.hblkhd == with_large.hblkhd &&
                                                (size_t)narrow.uordblks == with_large.uordblks);
    large[0] = realloc(large[0], 24 << 20);
    const struct mallinfo2 regrown = mallinfo2();
    check("one grown to 24 MiB by realloc: still 4 blocks, 16 MiB more in hblkhd",
          regrown.hblks == with_large.hblks && regrown.hblkhd >= with_large.hblkhd + ((size_t)16 << 20));
    for (int i = 0; i < large_count; ++i) free(large[i]);
    check("freed, they leave hblks and hblkhd", mallinfo2().hblks == before.hblks && mallinfo2().hblkhd == before.hblkhd);

    enum { heap_count = 256, heap_bytes = 300 * 1024 }; /* above the thread caches, below a mapping of their own */
    static char* heap[heap_count];
    for (int i = 0; i < heap_count; ++i) {
        heap[i] = malloc(heap_bytes);
        memset(heap[i], i, heap_bytes);
    }
    const long peak = resident_bytes();
    check("75 MB of arena blocks are in uordblks", mallinfo2().uordblks >= before.uordblks + (size_t)heap_count * heap_bytes);
    for (int i = 0; i < heap_count; ++i) free(heap[i]);
    const int trimmed = malloc_trim(0);
    const long after_trim = resident_bytes();
    check("malloc_trim gives memory back and says so", trimmed == 1);
    check("RSS falls by 60 MB at once", peak - after_trim >= 60L << 20);

    static char text[16384];
    captured(stats_to, text, sizeof text);
    check("malloc_stats writes glibc's lines to stderr",
          strstr(text, "Arena 0:\nsystem bytes     = ") != NULL && strstr(text, "in use bytes     = ") != NULL &&
              strstr(text, "Total (incl. mmap):\n") != NULL && strstr(text, "max mmap regions = ") != NULL &&
              strstr(text, "max mmap bytes   = ") != NULL);
    captured(info_to, text, sizeof text);
    check("malloc_info writes glibc's XML", strncmp(text, "<malloc version=\"1\">\n<heap nr=\"0\">\n", 35) == 0 &&
                                                strstr(text, "<total type=\"mmap\" count=\"") != NULL && strlen(text) > 10 &&
                                                strcmp(text + strlen(text) - 10, "</malloc>\n") == 0);
    check("malloc_info answers options other than 0 with EINVAL, as glibc does", malloc_info(1, stdout) == EINVAL);
    check("mallopt answers as glibc 2.36 does: 0 only for M_MXFAST out of range",
          mallopt(M_ARENA_MAX, 2) == 1 && mallopt(M_TRIM_THRESHOLD, 1 << 20) == 1 && mallopt(M_MXFAST, 64) == 1 &&
              mallopt(M_MXFAST, 1000) == 0 && mallopt(M_MXFAST, -1) == 0 && mallopt(M_ARENA_MAX, 0) == 1 &&
              mallopt(12345, 1) == 1);
    return failures == 0 ? 0 : 1;
}
