// SPDX-License-Identifier: MIT
// Test helper: everything observable about an offset allocator, to check that a failed call
// changed nothing.
#pragma once

#include <ranges>
#include <vector>

#include "heapkit/offset/memory_allocator.hpp"

namespace heapkit::test {

struct allocator_snapshot {
    std::vector<free_block> free_blocks;
    std::vector<allocation> allocations;
    Size free_memory;
    friend bool operator==(const allocator_snapshot&, const allocator_snapshot&) = default;
};

template <class Allocator>
std::vector<free_block> free_blocks_of(const Allocator& allocator) {
    std::vector<free_block> blocks;
    for (const free_block block : allocator.free_blocks()) blocks.push_back(block);
    return blocks;
}

template <class Allocator>
allocator_snapshot snapshot(const Allocator& allocator) {
    return {free_blocks_of(allocator), allocator.allocations(), allocator.free_memory()};
}

}  // namespace heapkit::test
