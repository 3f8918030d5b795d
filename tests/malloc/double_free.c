/* SPDX-License-Identifier: MIT
 * A planted double free of a slab block (argument "double"), of a medium block that waits in the
 * thread cache ("double_medium", 100 KiB) or goes straight back to its arena ("double_arena",
 * 300 KiB); a free of a pointer never handed out ("foreign"); a realloc of a freed slab or
 * medium block ("realloc", "realloc_medium"): under heapkit's malloc the program must end with
 * one line naming it. */
#include <stdlib.h>
#include <string.h>

static int is(int argc, char** argv, const char* what) { return argc > 1 && strcmp(argv[1], what) == 0; }

int main(int argc, char** argv) {
    if (is(argc, argv, "foreign")) {
        static long not_from_malloc[8];
        free(&not_from_malloc[4]);
        return 0;
    }
    const size_t size = is(argc, argv, "double_medium") || is(argc, argv, "realloc_medium") ? 100 << 10
                        : is(argc, argv, "double_arena")                                    ? 300 << 10
                                                                                            : 40;
    char* p = malloc(size);
    free(p);
    if (is(argc, argv, "realloc") || is(argc, argv, "realloc_medium")) {
        p = realloc(p, 2 * size);
        return p == NULL;
    }
    free(p);
    return 0;
}
