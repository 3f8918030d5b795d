// SPDX-License-Identifier: MIT
// heapkit::memory_map: the whole range in the seed's notation, e.g.
// "[Allocated(0-19)] [Free(20-99)]" (ends inclusive; adjacent allocations are separate blocks).
// O(n log n) in the number of blocks.
#pragma once

#include <string>

#include "heapkit/offset/memory_allocator.hpp"

namespace heapkit {

template <class Allocator>
std::string memory_map(const Allocator& allocator) {
    std::string map;
    allocator.for_each_block([&map](block_state state, Offset start, Size size) {
        if (!map.empty()) map += ' ';
        map += state == block_state::free ? "[Free(" : "[Allocated(";
        map += std::to_string(start) + '-' + std::to_string(start + (size - 1)) + ")]";
    });
    return map;
}

}  // namespace heapkit
