// SPDX-License-Identifier: MIT
// heapkit.PoolAllocator: fixed-size blocks with last-in first-out reuse, for Python.
#include "heapkit/offset/pool_allocator.hpp"

#include <string>

#include "bindings.hpp"
#include "heapkit/offset/memory_map.hpp"
#include "python_integers.hpp"

namespace py = pybind11;

namespace heapkit::python {
namespace {

[[noreturn]] void raise(const edge_error& failure) { throw_error(failure.kind, failure.message); }

pool_allocator make_pool(const integer_argument& total_capacity, const integer_argument& block_size) {
    return {positive_units_from(total_capacity, "total_capacity"), positive_units_from(block_size, "block_size")};
}

Offset allocate(pool_allocator& pool, const py::object& size, const integer_argument& alignment) {
    const edge_integer units = size.is_none() ? edge_integer::of(pool.block_size()) : edge_integer_from(size, "size");
    const edge_integer aligned_to = edge_integer_from(alignment, "alignment");
    if (const auto failure = edge_allocate_error(units, aligned_to)) raise(*failure);
    try {
        return pool.allocate(units.magnitude, aligned_to.magnitude);
    } catch (const out_of_memory& failure) {
        raise_out_of_memory(failure.what(), units.magnitude, pool.free_memory(), pool.largest_free_block());
    }
}

void free(pool_allocator& pool, const integer_argument& address, const py::object& size) {
    const edge_integer at = edge_integer_from(address, "address");
    if (size.is_none()) {
        if (const auto failure = edge_address_error(pool.capacity(), at)) raise(*failure);
        pool.free(at.magnitude);
        return;
    }
    const edge_integer units = edge_integer_from(size, "size");
    if (const auto failure = edge_free_error(pool.capacity(), at, units)) raise(*failure);
    pool.free(at.magnitude, units.magnitude);
}

}  // namespace

void bind_pool_allocator(py::module_& module) {
    py::class_<pool_allocator>(module, "PoolAllocator", R"(Fixed-size blocks tiling [0, total_capacity).

allocate() and free() are O(1); the block freed last is handed out first; there is no external
fragmentation (every free block serves every request). Same errors as MemoryAllocator.)")
        .def(py::init(&make_pool), py::arg("total_capacity"), py::arg("block_size"),
             "Blocks of `block_size` units. Raises InvalidSize unless total_capacity is a positive multiple of it.")
        .def("allocate", &allocate, py::arg("size") = py::none(), py::arg("alignment") = 1,
             "Takes a block for `size` units (default: a whole block) and returns its address. Raises InvalidSize,\n"
             "InvalidAlignment, or OutOfMemory (no free block, size above the block size, or an alignment the\n"
             "block starts do not all have).")
        .def("free", &free, py::arg("address"), py::arg("size") = py::none(),
             "Returns the block at `address` (allocated with `size` units, if given). Raises InvalidAddress,\n"
             "InvalidSize or InvalidFree.")
        .def("get_free_memory", &pool_allocator::free_memory, "Total free units.")
        .def("get_largest_free_block", &pool_allocator::largest_free_block, "The block size, or 0 when every block is in use.")
        .def(
            "free_blocks", [](const pool_allocator& pool) { return free_block_tuples(pool.free_blocks()); },
            "Freed blocks in address order as (start, size), then the never-used blocks as one run.")
        .def(
            "map", [](const pool_allocator& pool) { return memory_map(pool); }, "The whole range in the seed's notation.")
        .def("validate", &pool_allocator::validate, "Checks every invariant; raises RuntimeError naming a broken one.")
        .def_property_readonly("capacity", &pool_allocator::capacity, "Total units managed.")
        .def_property_readonly("block_size", &pool_allocator::block_size, "Units per block.")
        .def_property_readonly("block_count", &pool_allocator::block_count, "Number of blocks.")
        .def_property_readonly(
            "allocated",
            [](const pool_allocator& pool) {
                py::dict by_address;
                for (const free_block& live : pool.allocations()) by_address[py::int_(live.start)] = py::int_(live.size);
                return by_address;
            },
            "The live blocks as a new dict {address: size asked for}.")
        .def_property_readonly(
            "free_list_head", [](const pool_allocator& pool) { return free_list_head_of(pool.free_blocks()); },
            "The first FreeBlock in address order, or None when every block is in use.")
        .def_property_readonly("free_memory", &pool_allocator::free_memory, "Units no block holds.")
        .def_property_readonly("used_memory", &pool_allocator::used_memory, "Units the live blocks asked for.")
        .def_property_readonly("reserved_memory", &pool_allocator::reserved_memory, "Units the live blocks hold.")
        .def_property_readonly("largest_free_block", &pool_allocator::largest_free_block, "The block size, or 0.")
        .def_property_readonly("free_block_count", &pool_allocator::free_block_count, "Number of free blocks.")
        .def_property_readonly("allocation_count", &pool_allocator::allocation_count, "Number of live blocks.")
        .def_property_readonly("external_fragmentation", &pool_allocator::external_fragmentation, "Always 0.")
        .def_property_readonly("internal_fragmentation", &pool_allocator::internal_fragmentation, "1 - used / reserved memory.")
        .def("__repr__", [](const py::object& object) {
            const pool_allocator& pool = object.cast<const pool_allocator&>();
            return std::string(py::str(py::type::of(object).attr("__name__"))) + "(" + std::to_string(pool.capacity()) + ", " +
                   std::to_string(pool.block_size()) + ")";
        });
}

}  // namespace heapkit::python
