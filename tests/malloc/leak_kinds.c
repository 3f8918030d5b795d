/* SPDX-License-Identifier: MIT
 * Blocks of every leak kind, for HEAPKIT_DEBUG=1's report at exit: a chain kept by a global
 * (still reachable), a chain whose head is dropped (1 definitely lost, 2 indirectly lost), a
 * cycle of two dropped (1 definitely, 1 indirectly lost) and a lone block dropped (definitely
 * lost); all 48-byte blocks but the lone one (100 bytes). With the argument "check" it also asks
 * for the report midway, through heapkit_malloc_leak_check(), and prints its answer; with
 * "check_beside_a_thread", it asks while another thread holds a block of its own in its stack
 * alone (which is not lost); with "check_from_a_thread", another thread asks while the main
 * thread holds a block in its stack alone. */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct node {
    struct node* next;
    char payload[40];
};

struct node* kept; /* the reachable chain's head */

static void escape(void* pointer) { __asm__ volatile("" : : "r"(pointer) : "memory"); }

__attribute__((noinline)) struct node* make_node(struct node* next) {
    struct node* fresh = malloc(sizeof *fresh);
    memset(fresh, 0, sizeof *fresh);
    fresh->next = next;
    return fresh;
}

__attribute__((noinline)) void keep_a_chain(void) { kept = make_node(make_node(NULL)); }

__attribute__((noinline)) void lose_a_chain(void) {
    struct node* head = make_node(make_node(make_node(NULL)));
    escape(head);
}

__attribute__((noinline)) void lose_a_cycle(void) {
    struct node* first = make_node(NULL);
    first->next = make_node(first);
    escape(first);
}

__attribute__((noinline)) void lose_a_buffer(void) {
    char* buffer = malloc(100);
    memset(buffer, 1, 100);
    escape(buffer);
}

/* Overwrites the dead frames below main's, where stale copies of the dropped pointers lie. */
__attribute__((noinline)) void scrub_stack(void) {
    volatile char area[1 << 16];
    memset((char*)area, 0, sizeof area);
}

static pthread_mutex_t gate = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t changed = PTHREAD_COND_INITIALIZER;
static int holding, released;

/* Holds a block in a stack slot of its own (volatile: not only in a register) until released. */
static void* hold_a_block(void* unused) {
    (void)unused;
    char* volatile held = malloc(64);
    memset(held, 2, 64);
    pthread_mutex_lock(&gate);
    holding = 1;
    pthread_cond_broadcast(&changed);
    while (!released) pthread_cond_wait(&changed, &gate);
    pthread_mutex_unlock(&gate);
    free(held);
    return NULL;
}

static long leak_check(void) {
    long (*check)(void) = (long (*)(void))dlsym(RTLD_DEFAULT, "heapkit_malloc_leak_check");
    return check != NULL ? check() : -2L;
}

static void* check_and_print(void* unused) {
    (void)unused;
    printf("leak check: %ld\n", leak_check());
    return NULL;
}

int main(int argc, char** argv) {
    keep_a_chain();
    lose_a_chain();
    lose_a_cycle();
    lose_a_buffer();
    scrub_stack();
    if (argc > 1 && strcmp(argv[1], "check") == 0) printf("leak check: %ld\n", leak_check());
    if (argc > 1 && strcmp(argv[1], "check_beside_a_thread") == 0) {
        pthread_t holder;
        if (pthread_create(&holder, NULL, hold_a_block, NULL) != 0) return 2;
        pthread_mutex_lock(&gate);
        while (!holding) pthread_cond_wait(&changed, &gate);
        pthread_mutex_unlock(&gate);
        printf("leak check: %ld\n", leak_check());
        pthread_mutex_lock(&gate);
        released = 1;
        pthread_cond_broadcast(&changed);
        pthread_mutex_unlock(&gate);
        pthread_join(holder, NULL);
    }
    if (argc > 1 && strcmp(argv[1], "check_from_a_thread") == 0) {
        char* volatile held = malloc(64); /* in main's stack alone while the other thread asks */
        memset(held, 3, 64);
        pthread_t checker;
        if (pthread_create(&checker, NULL, check_and_print, NULL) != 0) return 2;
        pthread_join(checker, NULL);
        free(held);
    }
    return 0;
}
