// SPDX-License-Identifier: MIT
// Read-only views of an allocator for Python: the seed's FreeBlock nodes and (start, size) tuples.
#include <memory>
#include <optional>
#include <string>

#include <pybind11/stl.h>

#include "bindings.hpp"

namespace py = pybind11;

namespace heapkit::python {
namespace {

// One node of the seed's doubly-linked free list, as Python sees it: a position in a snapshot of
// the free blocks that every node of the list shares, so next and prev stay valid as long as
// any node is held.
struct free_block_node {
    std::shared_ptr<const std::vector<free_block>> blocks;  // the list, in address order
    std::size_t at;                                         // this node's position in it

    const free_block& block() const { return (*blocks)[at]; }
    std::optional<free_block_node> next() const {
        if (at + 1 >= blocks->size()) return std::nullopt;
        return free_block_node{blocks, at + 1};
    }
    std::optional<free_block_node> prev() const {
        if (at == 0) return std::nullopt;
        return free_block_node{blocks, at - 1};
    }
};

}  // namespace

void bind_free_block(py::module_& module) {
    py::class_<free_block_node>(module, "FreeBlock",
                                "A free block of the seed's address-ordered doubly-linked free list (read-only).")
        .def_property_readonly(
            "start", [](const free_block_node& node) { return node.block().start; }, "Starting address of the free block.")
        .def_property_readonly(
            "size", [](const free_block_node& node) { return node.block().size; }, "Size of the free block in units.")
        .def_property_readonly("next", &free_block_node::next, "The next free block by address, or None.")
        .def_property_readonly("prev", &free_block_node::prev, "The previous free block by address, or None.")
        .def("__eq__", [](const free_block_node& a, const free_block_node& b) { return a.block() == b.block(); })
        .def("__repr__", [](const free_block_node& node) {
            return "FreeBlock(start=" + std::to_string(node.block().start) + ", size=" + std::to_string(node.block().size) + ")";
        });
}

py::object free_list_head_of(const std::vector<free_block>& blocks) {
    if (blocks.empty()) return py::none();
    return py::cast(free_block_node{std::make_shared<const std::vector<free_block>>(blocks), 0});
}

py::list free_block_tuples(const std::vector<free_block>& blocks) {
    py::list tuples;
    for (const free_block& block : blocks) tuples.append(py::make_tuple(block.start, block.size));
    return tuples;
}

}  // namespace heapkit::python
