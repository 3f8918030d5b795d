// SPDX-License-Identifier: MIT
// The pieces of the heapkit Python module: each function adds one part to it.
#pragma once

#include <pybind11/pybind11.h>

#include <memory>
#include <string>
#include <vector>

#include "heapkit/offset/units.hpp"

namespace heapkit::python {

void bind_errors(pybind11::module_& module);            // errors.cpp: Error, InvalidSize, ..., OutOfMemory
void bind_free_block(pybind11::module_& module);        // views.cpp: FreeBlock, the seed's list node
void bind_memory_allocator(pybind11::module_& module);  // memory_allocator.cpp: MemoryAllocator
void bind_pool_allocator(pybind11::module_& module);    // pool_allocator.cpp: PoolAllocator

// The seed's free list as read-only FreeBlock nodes (start, size, next, prev) built from the free
// blocks in address order: the head node, or None.
pybind11::object free_list_head_of(const std::vector<free_block>& blocks);
// Raises heapkit.OutOfMemory with `message` and its figures (errors.cpp).
[[noreturn]] void raise_out_of_memory(const std::string& message, Size requested, Size free_units, Size largest_free_block);

// The free blocks as a list of (start, size) tuples.
pybind11::list free_block_tuples(const std::vector<free_block>& blocks);

}  // namespace heapkit::python
