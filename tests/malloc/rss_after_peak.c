/* SPDX-License-Identifier: MIT
 * RSS comes back down after a peak, for the heap, the slabs and the large blocks: 256 MiB in 100
 * KiB blocks (below the large-block threshold, so they live in the heap's arenas), in 64-byte
 * blocks (slabs), in 1 MiB blocks (mappings of their own), are written and freed; resident memory
 * must then fall below a quarter of the peak. Twice for each: once with a call a little over a
 * second later (heapkit returns freed memory at most about once a second, at a call that reaches
 * an arena: a 300 KiB block, above the thread caches' sizes), and once with the program idle (no
 * call at all for 2.6 s: the purge thread gives it back), also in a fork child. Run under
 * LD_PRELOAD by ctest; `rss_after_peak heap-idle` runs the first case alone. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "resident_bytes.h"

/* 256 MiB in `count` blocks of `block` bytes, written, then freed, then a wait (`idle`: with no
 * call at all); 0 when RSS came down. */
static int peak_and_release(const char* name, size_t count, size_t block, int idle) {
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
    if (idle) {
        const struct timespec wait = {2, 600 * 1000 * 1000};
        nanosleep(&wait, NULL);
    } else {
        const struct timespec wait = {1, 200 * 1000 * 1000};
        nanosleep(&wait, NULL);
        free(malloc(300 << 10));
    }
    const long after = resident_bytes();
    printf("rss_after_peak %s%s: peak %ld MiB, after freeing %ld MiB\n", name, idle ? ", idle" : "", peak >> 20, after >> 20);
    return peak > (200L << 20) && after < peak / 4 ? 0 : 1;
}

static char** handed;
enum { handed_count = 4 << 20 };

static void* allocate_and_exit(void* unused) {
    (void)unused;
    for (size_t i = 0; i < handed_count; ++i) {
        handed[i] = malloc(64);
        memset(handed[i], (int)i, 64);
    }
    return NULL;
}

/* 256 MiB of 64-byte blocks from a thread that then exits; this thread frees them (into a heap no
 * thread owns) and idles: the purge thread collects them and gives the pages back. */
static int exited_thread_blocks_freed(void) {
    handed = malloc(handed_count * sizeof *handed);
    pthread_t thread;
    if (handed == NULL || pthread_create(&thread, NULL, allocate_and_exit, NULL) != 0 || pthread_join(thread, NULL) != 0)
        return 2;
    const long peak = resident_bytes();
    for (size_t i = 0; i < handed_count; ++i) free(handed[i]);
    free(handed);
    const struct timespec wait = {2, 600 * 1000 * 1000};
    nanosleep(&wait, NULL);
    const long after = resident_bytes();
    printf("rss_after_peak slabs of an exited thread, freed by another, idle: peak %ld MiB, after freeing %ld MiB\n", peak >> 20,
           after >> 20);
    return peak > (200L << 20) && after < peak / 4 ? 0 : 1;
}

int main(int argc, char** argv) {
    if (argc > 1 && strcmp(argv[1], "heap-idle") == 0) /* the first case alone (environment.sh's delays) */
        return peak_and_release("heap (100 KiB blocks)", 2560, 100 << 10, 1);
    int failed = 0;
    for (int idle = 1; idle >= 0; --idle) { /* idle first: nothing has started the purge thread yet */
        failed |= peak_and_release("heap (100 KiB blocks)", 2560, 100 << 10, idle);
        failed |= peak_and_release("slabs (64-byte blocks)", (size_t)4 << 20, 64, idle);
        failed |= peak_and_release("large blocks (1 MiB)", 256, 1 << 20, idle);
    }
    failed |= exited_thread_blocks_freed();
    /* A fork child, where the parent's purge thread does not exist, starts its own. */
    fflush(stdout);
    const pid_t child = fork();
    if (child == 0) {
        const int child_failed = peak_and_release("heap in a fork child (100 KiB blocks)", 2560, 100 << 10, 1);
        fflush(stdout);
        _exit(child_failed);
    }
    int status = 0;
    failed |= waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status) != 0;
    return failed;
}
