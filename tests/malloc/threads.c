/* SPDX-License-Identifier: MIT
 * heapkit's malloc under threads, run under LD_PRELOAD by ctest: producers allocate and fill
 * blocks that consumers check and free (every free cross-thread), threads that exit, and fork()
 * while other threads allocate, the child allocating and exiting cleanly, also fork() from a
 * thread other than main (the child frees that thread's blocks, of every tier, and allocates
 * again), and 20 rounds of 16 short threads (glibc frees their TLS under its stack lock).
 * Every thread checks its own heap with heapkit_malloc_validate() before it ends. Exits 1 on a
 * failure. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

enum { pairs = 4, per_producer = 100000, ring_size = 1024 };

struct ring {
    pthread_mutex_t mutex;
    pthread_cond_t changed;
    unsigned char* items[ring_size];
    size_t sizes[ring_size];
    size_t head, tail;
};

static struct ring rings[pairs];
static volatile int failed = 0;
static volatile int stop_churn = 0;

static void put(struct ring* r, unsigned char* item, size_t size) {
    pthread_mutex_lock(&r->mutex);
    while (r->tail - r->head == ring_size) pthread_cond_wait(&r->changed, &r->mutex);
    r->items[r->tail % ring_size] = item;
    r->sizes[r->tail % ring_size] = size;
    ++r->tail;
    pthread_cond_broadcast(&r->changed);
    pthread_mutex_unlock(&r->mutex);
}

static unsigned char* take(struct ring* r, size_t* size) {
    pthread_mutex_lock(&r->mutex);
    while (r->tail == r->head) pthread_cond_wait(&r->changed, &r->mutex);
    unsigned char* item = r->items[r->head % ring_size];
    *size = r->sizes[r->head % ring_size];
    ++r->head;
    pthread_cond_broadcast(&r->changed);
    pthread_mutex_unlock(&r->mutex);
    return item;
}

/* heapkit_malloc_validate() of the preloaded library, on the calling thread's heap. */
static void check_heap(const char* where) {
    const char* (*validate)(void) = (const char* (*)(void))dlsym(RTLD_DEFAULT, "heapkit_malloc_validate");
    const char* broken = validate != NULL ? validate() : "heapkit_malloc_validate is not there (not preloaded?)";
    if (broken != NULL) {
        printf("FAIL: %s: %s\n", where, broken);
        failed = 1;
    }
}

static void* produce(void* argument) {
    struct ring* r = argument;
    uint64_t state = (uint64_t)(uintptr_t)argument | 1;
    for (int i = 0; i < per_producer; ++i) {
        state ^= state << 13, state ^= state >> 7, state ^= state << 17;
        const size_t size = state % 8 == 0 ? state % 100000 : state % 300;
        unsigned char* item = malloc(size);
        if (item == NULL) {
            failed = 1;
            break;
        }
        memset(item, (int)(size & 0xFF), size);
        put(r, item, size);
    }
    put(r, NULL, 0);
    check_heap("a producer's heap");
    return NULL;
}

static void* consume(void* argument) {
    struct ring* r = argument;
    for (;;) {
        size_t size = 0;
        unsigned char* item = take(r, &size);
        if (item == NULL) break;
        for (size_t i = 0; i < size; ++i)
            if (item[i] != (unsigned char)(size & 0xFF)) {
                failed = 1;
                break;
            }
        free(item);
    }
    check_heap("a consumer's heap");
    return NULL;
}

static void* churn(void* unused) {
    (void)unused;
    while (!stop_churn) free(malloc(64));
    check_heap("the churning thread's heap");
    return NULL;
}

/* A short thread: small blocks, one medium block (its free may start the purge thread), gone. */
static void* short_lived(void* unused) {
    (void)unused;
    void* small[64];
    for (int i = 0; i < 64; ++i) small[i] = malloc((size_t)(i + 1) * 24);
    free(malloc(100 << 10));
    for (int i = 0; i < 64; ++i) free(small[i]);
    return NULL;
}

/* 20 rounds of 16 threads at once, each freeing a medium block (which may start the purge thread)
 * and small ones: their 8 MiB stacks overflow glibc's 40 MiB stack cache, which then frees their
 * TLS vectors through free while it holds the lock that creating a thread takes (why no free of a
 * small block starts the purge thread). A hang fails the test by its timeout. */
static void churn_threads(void) {
    enum { batch = 16 };
    for (int round = 0; round < 20; ++round) {
        pthread_t threads[batch];
        for (int i = 0; i < batch; ++i) {
            if (pthread_create(&threads[i], NULL, short_lived, NULL) != 0) {
                printf("FAIL: thread %d of churn round %d\n", i, round);
                failed = 1;
                return;
            }
        }
        for (int i = 0; i < batch; ++i) pthread_join(threads[i], NULL);
    }
}

/* Forks from this thread, whose heap is not the main thread's: the child, where this thread is
 * the only one, frees the blocks it took before the fork (slab, arena and large sizes) and
 * allocates again. */
static void* fork_from_thread(void* unused) {
    (void)unused;
    enum { kept_count = 64 };
    void* kept[kept_count];
    for (int i = 0; i < kept_count; ++i) kept[i] = malloc((size_t)i * i * 300 + 1); /* 1 byte .. 1.2 MB */
    const pid_t child = fork();
    if (child == 0) {
        for (int i = 0; i < kept_count; ++i) free(kept[i]);
        for (int round = 0; round < 2000; ++round) {
            char* p = malloc((size_t)round * 37 % 70000 + 1);
            p[0] = 1;
            free(p);
        }
        check_heap("a child forked from a thread");
        _exit(failed);
    }
    int status = 0;
    if (waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        printf("FAIL: the child forked from a thread did not exit cleanly (status %d)\n", status);
        failed = 1;
    }
    for (int i = 0; i < kept_count; ++i) free(kept[i]);
    return NULL;
}

int main(void) {
    pthread_t producers[pairs], consumers[pairs], churner;
    for (int i = 0; i < pairs; ++i) {
        pthread_mutex_init(&rings[i].mutex, NULL);
        pthread_cond_init(&rings[i].changed, NULL);
        pthread_create(&producers[i], NULL, produce, &rings[i]);
        pthread_create(&consumers[i], NULL, consume, &rings[i]);
    }
    pthread_create(&churner, NULL, churn, NULL);
    for (int round = 0; round < 20; ++round) { /* fork while the others allocate */
        const pid_t child = fork();
        if (child == 0) {
            char* p = malloc(1000);
            memset(p, 1, 1000);
            free(p);
            check_heap("the fork child's heap");
            _exit(failed);
        }
        int status = 0;
        if (waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            printf("FAIL: fork child %d did not exit cleanly (status %d)\n", round, status);
            failed = 1;
        }
    }
    pthread_t forker;
    pthread_create(&forker, NULL, fork_from_thread, NULL);
    pthread_join(forker, NULL);
    churn_threads();
    for (int i = 0; i < pairs; ++i) {
        pthread_join(producers[i], NULL);
        pthread_join(consumers[i], NULL);
    }
    stop_churn = 1;
    pthread_join(churner, NULL);
    check_heap("the main thread's heap");
    printf("threads: %s\n", failed ? "FAILED" : "ok");
    return failed;
}
