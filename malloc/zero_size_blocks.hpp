// SPDX-License-Identifier: MIT
// The blocks of malloc(0) in release mode: distinct addresses in 16 MiB of address space that no
// access may touch (PROT_NONE), so that reading or writing a zero-size block faults at the
// instruction instead of reaching a neighbour, as hardened allocators do. A bitmap kept apart
// says which of the 2^20 slots (16 bytes each) are live; a cursor that only moves on hands out
// the next free slot, so a freed address comes back only after every other slot has been handed
// out. Thread-safe without a lock; O(1) per call while live zero-size blocks are few (the search
// gives up after a few words, and the caller serves the request from the slabs).
#pragma once

#include <cstddef>

#include "fatal.hpp"

namespace heapkit::malloc_layer {

// A fresh zero-size block, or nullptr when the region cannot be had or its slots near the cursor
// are live (then the caller serves malloc(0) as a 16-byte block).
void* zero_size_allocate() noexcept;

// Whether `pointer` lies in the zero-size region (live, freed or never handed out): two compares.
bool zero_size_owns(const void* pointer) noexcept;

// Frees a zero-size block (zero_size_owns); a pointer that starts no slot ever handed out ends
// the program with the foreign_free verdict, a slot that is not live with double_free.
void zero_size_free(void* pointer) noexcept;
// Ends the program unless `pointer` is a live zero-size block: `freed_verdict` for a slot not
// live, `foreign_verdict` for one never handed out (realloc's and malloc_usable_size's verdicts).
void zero_size_check_live(const void* pointer, misuse freed_verdict, misuse foreign_verdict) noexcept;

// ZS1: no slot at or above `reached` (one past the highest ever handed out) is live; it holds
// while other threads allocate, as `reached` is raised before a slot is taken. nullptr when it
// holds, else its id and text. O(2^14 words).
const char* zero_size_validate() noexcept;

}  // namespace heapkit::malloc_layer
