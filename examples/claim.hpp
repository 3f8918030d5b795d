// SPDX-License-Identifier: MIT
// The examples check the claims their stories make: each claim prints one line, and a false one
// ends the program with status 1, so that `make test` fails.
#pragma once

#include <cstdio>
#include <cstdlib>

inline void claim(bool holds, const char* statement) {
    std::printf("%s %s\n", holds ? "[ok]    " : "[FAILED]", statement);
    if (!holds) std::exit(1);
}
