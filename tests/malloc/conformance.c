/* SPDX-License-Identifier: MIT
 * Conformance of heapkit's malloc, run under LD_PRELOAD by ctest: every exported function and
 * its edge cases (free(NULL), realloc(NULL, n), realloc(p, 0), calloc and reallocarray
 * overflow, errno ENOMEM, alignments above the page size, posix_memalign's EINVAL), contents
 * kept across realloc between small and large blocks, and proof that heapkit's is the malloc in
 * use, large blocks reused from freed ones, and calloc of a fresh large block leaving its pages
 * untouched (release mode). Prints one line per failed check and exits 1 if any failed. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "resident_bytes.h"

static int failures = 0;
#define CHECK(condition)                                        \
    do {                                                        \
        if (!(condition)) {                                     \
            printf("FAIL line %d: %s\n", __LINE__, #condition); \
            ++failures;                                         \
        }                                                       \
    } while (0)

static int aligned_to(const void* pointer, size_t alignment) { return ((uintptr_t)pointer % alignment) == 0; }

static int holds(const unsigned char* data, size_t size, unsigned char value) {
    for (size_t i = 0; i < size; ++i)
        if (data[i] != value) return 0;
    return 1;
}

int main(void) {
    CHECK(dlsym(RTLD_DEFAULT, "heapkit_malloc_version") != NULL); /* heapkit's malloc is in use */

    const int release_mode = getenv("HEAPKIT_DEBUG") == NULL && getenv("HEAPKIT_GUARD") == NULL;
    if (release_mode) {
        /* Before any large block: the 256 MiB come from a fresh mapping, already zero. */
        const long before = resident_bytes();
        unsigned char* zeroed_pages = calloc(256, 1 << 20);
        CHECK(zeroed_pages != NULL && resident_bytes() - before < (16L << 20));
        CHECK(zeroed_pages[0] == 0 && zeroed_pages[(256u << 20) - 1] == 0);
        free(zeroed_pages);
    }

    void* zero = malloc(0);
    CHECK(zero != NULL);
    free(zero);
    free(NULL);
    void* zeros[256]; /* malloc(0): distinct pointers, each freed once; one grows by realloc */
    for (int i = 0; i < 256; ++i) {
        zeros[i] = malloc(0);
        CHECK(zeros[i] != NULL && aligned_to(zeros[i], 16));
        for (int j = 0; j < i; ++j) CHECK(zeros[j] != zeros[i]);
    }
    zeros[7] = realloc(zeros[7], 100);
    CHECK(zeros[7] != NULL && malloc_usable_size(zeros[7]) >= 100);
    memset(zeros[7], 1, 100);
    for (int i = 0; i < 256; ++i) free(zeros[i]);
    void* aligned_zero = NULL;
    CHECK(posix_memalign(&aligned_zero, 16, 0) == 0 && aligned_zero != NULL);
    free(aligned_zero);

    unsigned char* p = malloc(100);
    CHECK(p != NULL && aligned_to(p, 16) && malloc_usable_size(p) >= 100);
    memset(p, 7, 100);
    p = realloc(p, 5000); /* grows: contents kept */
    CHECK(p != NULL && holds(p, 100, 7));
    memset(p, 8, 5000);
    p = realloc(p, 3u << 20); /* small to large (its own mapping) */
    CHECK(p != NULL && holds(p, 5000, 8) && malloc_usable_size(p) >= (3u << 20));
    memset(p, 9, 3u << 20);
    p = realloc(p, 6u << 20); /* large grows (mremap) */
    CHECK(p != NULL && holds(p, 3u << 20, 9));
    p = realloc(p, 64); /* large to small */
    CHECK(p != NULL && holds(p, 64, 9));
    CHECK(realloc(p, 0) == NULL); /* glibc: frees it */

    void* fresh = realloc(NULL, 32);
    CHECK(fresh != NULL);
    free(fresh);

    unsigned char* zeroed = calloc(1000, 8);
    CHECK(zeroed != NULL && holds(zeroed, 8000, 0));
    memset(zeroed, 1, 8000);
    free(zeroed);
    zeroed = calloc(1000, 8); /* likely the same memory: must be zeroed again */
    CHECK(zeroed != NULL && holds(zeroed, 8000, 0));
    free(zeroed);

    errno = 0;
    CHECK(calloc(SIZE_MAX / 2, 3) == NULL && errno == ENOMEM);
    errno = 0;
    CHECK(malloc(SIZE_MAX - 10) == NULL && errno == ENOMEM);
    errno = 0;
    CHECK(reallocarray(NULL, SIZE_MAX / 2, 3) == NULL && errno == ENOMEM);
    void* array = reallocarray(NULL, 10, 10);
    CHECK(array != NULL && malloc_usable_size(array) >= 100);
    free(array);

    const size_t page = (size_t)sysconf(_SC_PAGESIZE);
    void* out = NULL;
    CHECK(posix_memalign(&out, 3, 10) == EINVAL);
    CHECK(posix_memalign(&out, 4, 10) == EINVAL); /* not a multiple of sizeof(void*) */
    errno = 0;
    CHECK(posix_memalign(&out, 64, 10) == 0 && aligned_to(out, 64) && errno == 0);
    free(out);
    CHECK(posix_memalign(&out, 1 << 16, 100) == 0 && aligned_to(out, 1 << 16)); /* above the page size */
    free(out);
    CHECK(posix_memalign(&out, 1 << 21, 1 << 20) == 0 && aligned_to(out, 1 << 21)); /* large and aligned */
    free(out);
    errno = 0;
    CHECK(aligned_alloc(24, 48) == NULL && errno == EINVAL);
    void* a = aligned_alloc(256, 512);
    CHECK(a != NULL && aligned_to(a, 256));
    free(a);
    void* m = memalign(100, 10); /* glibc rounds the alignment up to 128 */
    CHECK(m != NULL && aligned_to(m, 128));
    free(m);
    void* v = valloc(10);
    CHECK(v != NULL && aligned_to(v, page));
    free(v);
    void* pv = pvalloc(page + 1);
    CHECK(pv != NULL && aligned_to(pv, page) && malloc_usable_size(pv) >= 2 * page);
    free(pv);
    CHECK(malloc_usable_size(NULL) == 0);

    /* Large blocks taken from freed ones: parts of one freed mapping, each its own, zeroed by
     * calloc, joined again when freed. */
    const size_t mib = (size_t)1 << 20;
    malloc_trim(0); /* no freed range left from the blocks above, beside which this one could lie */
    unsigned char* whole = malloc(40 * mib);
    CHECK(whole != NULL);
    memset(whole, 1, 40 * mib);
    const uintptr_t freed_start = (uintptr_t)whole;
    free(whole);
    unsigned char* parts[4];
    for (int i = 0; i < 3; ++i) {
        parts[i] = malloc(8 * mib);
        CHECK(parts[i] != NULL && malloc_usable_size(parts[i]) >= 8 * mib);
        if (release_mode) CHECK((uintptr_t)parts[i] >= freed_start && (uintptr_t)parts[i] + 8 * mib <= freed_start + 40 * mib);
        memset(parts[i], 2 + i, 8 * mib);
    }
    parts[3] = calloc(6, mib);
    CHECK(parts[3] != NULL && holds(parts[3], 6 * mib, 0));
    for (int i = 0; i < 3; ++i) CHECK(holds(parts[i], 8 * mib, (unsigned char)(2 + i)));
    for (int i = 0; i < 4; ++i) free(parts[i]);
    whole = malloc(30 * mib);
    CHECK(whole != NULL);
    if (release_mode) CHECK((uintptr_t)whole == freed_start); /* the three parts and the rest, one range again */
    memset(whole, 5, 30 * mib);
    CHECK(holds(whole, 30 * mib, 5));
    free(whole);

    /* A large block the program split into two kernel mappings (madvise of a part): mremap
     * refuses it, and realloc copies instead of failing. */
    unsigned char* split = malloc(4 * mib);
    CHECK(split != NULL);
    memset(split, 6, 4 * mib);
    unsigned char* inside = (unsigned char*)(((uintptr_t)split + mib + page - 1) & ~(uintptr_t)(page - 1));
    CHECK(madvise(inside, mib, MADV_DONTFORK) == 0);
    split = realloc(split, 12 * mib);
    CHECK(split != NULL && holds(split, 4 * mib, 6));
    inside = (unsigned char*)(((uintptr_t)split + mib + page - 1) & ~(uintptr_t)(page - 1));
    CHECK(madvise(inside, page, MADV_DONTFORK) == 0);
    split = realloc(split, 2 * mib);
    CHECK(split != NULL && holds(split, 2 * mib, 6));
    free(split);

    /* Many blocks of many sizes, each checked before it goes. */
    enum { count = 20000 };
    static unsigned char* blocks[count];
    static size_t sizes[count];
    for (size_t i = 0; i < count; ++i) {
        sizes[i] = (i * 2654435761u) % (i % 97 == 0 ? 700000 : 2000);
        blocks[i] = malloc(sizes[i]);
        CHECK(blocks[i] != NULL);
        memset(blocks[i], (int)(i & 0xFF), sizes[i]);
    }
    for (size_t i = 0; i < count; i += 2) {
        CHECK(holds(blocks[i], sizes[i], (unsigned char)(i & 0xFF)));
        free(blocks[i]);
    }
    for (size_t i = 1; i < count; i += 2) {
        CHECK(holds(blocks[i], sizes[i], (unsigned char)(i & 0xFF)));
        free(blocks[i]);
    }

    printf("conformance: %d failures\n", failures);
    return failures == 0 ? 0 : 1;
}
