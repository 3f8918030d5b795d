/* SPDX-License-Identifier: MIT
 * A planted double free (argument "double"; "double_large" for a block of its own mapping), a
 * free of a pointer never handed out ("foreign"), or a realloc of a freed block ("realloc"):
 * under heapkit's malloc the program must end with one line naming it. */
#include <stdlib.h>
#include <string.h>

int main(int argc, char** argv) {
    if (argc > 1 && strcmp(argv[1], "foreign") == 0) {
        static long not_from_malloc[8];
        free(&not_from_malloc[4]);
        return 0;
    }
    const size_t size = argc > 1 && strcmp(argv[1], "double_large") == 0 ? 4000 : 40;
    char* p = malloc(size);
    free(p);
    if (argc > 1 && strcmp(argv[1], "realloc") == 0) {
        p = realloc(p, 80);
        return p == NULL;
    }
    free(p);
    return 0;
}
