// SPDX-License-Identifier: MIT
// Which live blocks a program can still reach, found as memcheck and LeakSanitizer find them: a
// conservative scan for pointers (any aligned word whose value lies inside a block, its start or
// within) from the roots, the writable segments and thread-local data of every loaded module but
// heapkit's own, the calling thread's stack and registers, and the stacks of the other threads
// alive that allocated in debug mode (thread_stacks.hpp; their touched pages, which in glibc's
// threads hold their thread-local data too); then through every block reached. A block not
// reached is definitely lost when no other unreached block points to it (of a cycle of lost
// blocks, the first in address order), else indirectly lost (reachable only through lost
// blocks). Other threads' registers are not read: a pointer only a register of theirs holds
// reads as lost. O(words scanned x log blocks).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace heapkit::malloc_layer {

struct live_block {
    std::uintptr_t start;  // the user pointer
    std::size_t size;      // bytes asked for
};

enum class reach : unsigned char { still_reachable, definitely_lost, indirectly_lost };

// The reach of each of `blocks` (sorted by start, not overlapping), in the same order, with the
// `extra_roots` (live memory that is not among the blocks, such as guarded blocks) scanned as
// roots too. Reads only mapped memory; allocates (std::vector) as it works.
std::vector<reach> classify_reach(std::span<const live_block> blocks, std::span<const live_block> extra_roots = {});

}  // namespace heapkit::malloc_layer
