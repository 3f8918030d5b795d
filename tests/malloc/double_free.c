/* SPDX-License-Identifier: MIT
 * A planted double free (argument "double"), or a free of a pointer never handed out
 * ("foreign"): under heapkit's malloc the program must end with one line naming it. */
#include <stdlib.h>
#include <string.h>

int main(int argc, char** argv) {
    if (argc > 1 && strcmp(argv[1], "foreign") == 0) {
        static long not_from_malloc[8];
        free(&not_from_malloc[4]);
        return 0;
    }
    char* p = malloc(40);
    free(p);
    free(p);
    return 0;
}
