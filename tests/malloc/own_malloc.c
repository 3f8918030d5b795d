// SPDX-License-Identifier: MIT
// A program with a malloc of its own, as rustc has (it links jemalloc): the executable's malloc,
// free, calloc and realloc take every call of the process, the C library's included, so a
// preloaded heapkit is never called, and `heapkit run` must say so (tests/cli/edges.py). A bump
// allocator over a static arena; free keeps nothing.
#include <stddef.h>
#include <stdio.h>
#include <string.h>

static _Alignas(16) unsigned char arena[1 << 20];
static size_t used;

void* malloc(size_t size) {
    size = (size + 15) & ~(size_t)15;
    if (size > sizeof arena - used) return NULL;
    void* block = arena + used;
    used += size;
    return block;
}
void free(void* block) { (void)block; }
void* calloc(size_t count, size_t size) {
    if (size != 0 && count > (size_t)-1 / size) return NULL;
    void* block = malloc(count * size);
    if (block != NULL) memset(block, 0, count * size);
    return block;
}
void* realloc(void* block, size_t size) {
    void* moved = malloc(size);
    if (moved != NULL && block != NULL) memcpy(moved, block, size);  // the old block is at most this far in the arena
    return moved;
}

int main(void) {
    char* text = malloc(32);
    strcpy(text, "done");
    puts(text);
    return 0;
}
