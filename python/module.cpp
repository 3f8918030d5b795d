// SPDX-License-Identifier: MIT
// The heapkit Python module: the seed's MemoryAllocator and PoolAllocator over heapkit's C++
// allocators, and heapkit.Error with one exception class per error kind.
#include <pybind11/pybind11.h>

#include "bindings.hpp"
#include "heapkit/version.hpp"

namespace py = pybind11;

PYBIND11_MODULE(heapkit, module) {
    module.doc() = "heapkit: allocators for a contiguous resource (GPU heaps, disks, VM memory, spectrum, ...).";
    module.attr("__version__") = heapkit::version;
    heapkit::python::bind_errors(module);
    heapkit::python::bind_free_block(module);
    heapkit::python::bind_memory_allocator(module);
    heapkit::python::bind_pool_allocator(module);
}
