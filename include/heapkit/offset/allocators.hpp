// SPDX-License-Identifier: MIT
// The checked facade composed with each free-space index. All share MemoryAllocator's API and
// error model; they differ in cost (see each index's header).
#pragma once

#include "heapkit/offset/buddy_index.hpp"
#include "heapkit/offset/free_list.hpp"
#include "heapkit/offset/free_tree.hpp"
#include "heapkit/offset/memory_allocator.hpp"
#include "heapkit/offset/ring_index.hpp"
#include "heapkit/offset/tlsf_index.hpp"

namespace heapkit {

using list_allocator = MemoryAllocator;                       // O(n): the seed's list
using tree_allocator = basic_memory_allocator<free_tree>;     // O(log n), the same choices as the list
using tlsf_allocator = basic_memory_allocator<tlsf_index>;    // O(1), TLSF's good fit
using buddy_allocator = basic_memory_allocator<buddy_index>;  // O(log capacity), power-of-two blocks
using ring_allocator = basic_memory_allocator<ring_index>;    // O(1), at the top of a ring, reclaimed from its ends

}  // namespace heapkit
