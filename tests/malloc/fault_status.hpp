// SPDX-License-Identifier: MIT
// For death tests of accesses that must fault: a plain build dies of SIGSEGV; under a sanitizer
// (make test runs these tests under TSan) the sanitizer reports the SEGV and exits non-zero.
#pragma once

#include <sys/wait.h>

#include <csignal>

namespace heapkit::malloc_layer {

#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
inline constexpr bool sanitized = true;
inline constexpr const char* fault_report = "SEGV";  // the sanitizer's report names it
#else
inline constexpr bool sanitized = false;
inline constexpr const char* fault_report = "";
#endif

inline bool died_of_a_fault(int status) {
    if (sanitized) return WIFEXITED(status) && WEXITSTATUS(status) != 0;
    return WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV;
}

}  // namespace heapkit::malloc_layer
