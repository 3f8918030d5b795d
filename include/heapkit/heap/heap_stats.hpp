// SPDX-License-Identifier: MIT
// heap_stats: the totals every heapkit heap reports. For a heap that has not lent memory away,
// in_use_bytes + free_bytes + bookkeeping_bytes == capacity_bytes (checked by validate()).
#pragma once

#include <cstddef>

namespace heapkit {

struct heap_stats {
    std::size_t capacity_bytes = 0;      // bytes of memory the heap manages
    std::size_t in_use_bytes = 0;        // bytes of live blocks, their headers included
    std::size_t free_bytes = 0;          // bytes of free blocks
    std::size_t bookkeeping_bytes = 0;   // region headers, end markers and alignment lost at region edges
    std::size_t overhead_bytes = 0;      // headers of live blocks + bookkeeping_bytes
    std::size_t largest_free_block = 0;  // the largest request one free block could serve, in bytes
    std::size_t allocation_count = 0;    // live blocks
    std::size_t free_block_count = 0;
    std::size_t region_count = 0;
};

}  // namespace heapkit
