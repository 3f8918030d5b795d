// SPDX-License-Identifier: MIT
// The one way heapkit's malloc ends a program: one line on stderr, written without allocating,
// then abort().
#pragma once

namespace heapkit::malloc_layer {

// Prints "heapkit: WHAT 0xADDRESS" and aborts.
[[noreturn]] void fatal(const char* what, const void* address) noexcept;

}  // namespace heapkit::malloc_layer
