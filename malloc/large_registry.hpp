// SPDX-License-Identifier: MIT
// The set of live large blocks (large_blocks.hpp), so that free() can judge any pointer without
// reading memory at it: a pointer no tier owns is a large block only if this set holds it, and
// one that was a large block lately is named a double free. A linear-probing hash set of the
// blocks' addresses in an anonymous mapping (it never calls malloc), grown by doubling at half
// load, with a ring of the last addresses freed. Guarded by one lock, held across fork().
// Cost: O(1) expected per call, plus the rehash when it grows.
#pragma once

namespace heapkit::malloc_layer::large_registry {

// Records `pointer` as live. False when the set cannot grow (the kernel refused a mapping).
bool add(const void* pointer) noexcept;
// Whether `pointer` is live.
bool holds(const void* pointer) noexcept;
// What became of a pointer that remove() was asked for.
enum class removal : unsigned char { removed, freed_lately, unknown };
// Forgets `pointer` if it is live (removed), else says whether it was one of the last 64 freed.
removal remove(const void* pointer) noexcept;
// Around fork.
void lock() noexcept;
void unlock() noexcept;

}  // namespace heapkit::malloc_layer::large_registry
