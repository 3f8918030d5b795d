// SPDX-License-Identifier: MIT
// A program whose allocation sites are known, for the profile tests (tests/cli/profile.py): each
// function allocates a known number of blocks of a known size, a second thread allocates too,
// and a started program (/bin/true, under the same HEAPKIT_PROFILE) must leave the profile alone.
// With the argument "more", make_small runs three times (its live bytes grow, for `heapkit diff`).
#include <pthread.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

extern char** environ;

static void* kept[64];

// 10 blocks of 100 bytes, never freed.
__attribute__((noinline)) void make_small(void) {
    for (int i = 0; i < 10; ++i) kept[i] = malloc(100);
}

// 5 blocks of 1000 bytes, each freed before the next allocation.
__attribute__((noinline)) void make_temporary(void) {
    for (int i = 0; i < 5; ++i) {
        char* block = malloc(1000);
        block[0] = 1;
        free(block);
    }
}

// One block of 65536 bytes, live at the program's peak, freed at the end.
__attribute__((noinline)) void* make_big(void) {
    char* block = malloc(65536);
    memset(block, 1, 65536);
    return block;
}

// 3 blocks of 200 bytes from another thread, never freed.
__attribute__((noinline)) void* make_in_thread(void* unused) {
    (void)unused;
    volatile int count = 3;  // a loop the compiler keeps, so that the three calls are one site
    for (int i = 0; i < count; ++i) kept[20 + i] = malloc(200);
    return NULL;
}

int main(int argc, char** argv) {
    volatile int times = argc > 1 && strcmp(argv[1], "more") == 0 ? 3 : 1;  // one call site, so that a diff sees it grow
    for (int i = 0; i < times; ++i) make_small();
    make_temporary();
    void* big = make_big();
    pthread_t thread;
    if (pthread_create(&thread, NULL, make_in_thread, NULL) != 0 || pthread_join(thread, NULL) != 0) return 2;
    char* const arguments[] = {"true", NULL};
    pid_t child = 0;
    int status = 0;
    if (posix_spawn(&child, "/bin/true", NULL, NULL, arguments, environ) != 0 || waitpid(child, &status, 0) != child) return 3;
    free(big);
    puts("done");
    return 0;
}
