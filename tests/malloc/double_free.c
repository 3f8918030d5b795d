/* SPDX-License-Identifier: MIT
 * A planted double free of a slab block (argument "double"), of a medium block that waits in the
 * thread cache ("double_medium", 100 KiB), goes straight back to its arena ("double_arena",
 * 300 KiB) or has a mapping of its own ("double_large", 1 MiB); a free of a pointer never handed
 * out ("foreign"), of one 1 GiB past a slab block or a large block ("far", "far_large"), of one
 * inside an arena or a large block ("inside_arena", "inside_large": 64 bytes in), of one 8 bytes
 * in (what delete does with new[]'s pointer, "eight_in_arena") or 1 byte in ("unaligned_arena");
 * a realloc of a freed slab or medium block ("realloc", "realloc_medium"): under heapkit's malloc
 * the program must end with one line naming it. */
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
                        : is(argc, argv, "double_arena") || is(argc, argv, "inside_arena") || is(argc, argv, "eight_in_arena") ||
                                is(argc, argv, "unaligned_arena")
                            ? 300 << 10
                        : is(argc, argv, "double_large") || is(argc, argv, "far_large") || is(argc, argv, "inside_large")
                            ? 1 << 20
                            : 40;
    char* p = malloc(size);
    if (p == NULL) return 2;
    const size_t offset = is(argc, argv, "far") || is(argc, argv, "far_large")               ? (size_t)1 << 30
                          : is(argc, argv, "inside_arena") || is(argc, argv, "inside_large") ? 64
                          : is(argc, argv, "eight_in_arena")                                 ? 8
                          : is(argc, argv, "unaligned_arena")                                ? 1
                                                                                             : 0;
    if (offset != 0) {
        free(p + offset);
        return 0;
    }
    free(p);
    if (is(argc, argv, "realloc") || is(argc, argv, "realloc_medium")) {
        p = realloc(p, 2 * size);
        return p == NULL;
    }
    free(p);
    return 0;
}
