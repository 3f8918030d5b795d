// SPDX-License-Identifier: MIT
// HEAPKIT_PROFILE=FILE: every allocation, free and realloc written to FILE in heapkit's binary
// profile format (docs/PROTOCOL.md, "Profile files") with its thread, a timestamp and its call
// stack (8 frames outside heapkit, each interned once as module+offset). HEAPKIT_PROFILE_SAMPLE=N
// records one allocation per N bytes allocated instead (and the frees of those only). Records go
// to a 64 KiB buffer under its own lock, written out when full and at exit; nothing allocates.
#pragma once

#include <cstddef>

namespace heapkit::malloc_layer {

// Whether this process writes a profile (HEAPKIT_PROFILE named a file it could take).
bool profiling() noexcept;

void profile_allocate(const void* pointer, std::size_t size, std::size_t alignment) noexcept;
void profile_free(const void* pointer) noexcept;
void profile_resize(const void* old_pointer, const void* pointer, std::size_t size) noexcept;

// At exit: the end record and the last buffer.
void finish_profile() noexcept;
// In a child after fork: the profile belongs to the parent.
void stop_profiling_in_child() noexcept;

}  // namespace heapkit::malloc_layer
