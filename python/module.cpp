// SPDX-License-Identifier: MIT
// The heapkit Python module: the seed's MemoryAllocator and PoolAllocator over heapkit's C++
// allocators, and one exception class per error kind.
#include <pybind11/pybind11.h>

#include "bindings.hpp"
#include "heapkit/offset/error.hpp"
#include "heapkit/version.hpp"

namespace py = pybind11;

namespace heapkit::python {

void bind_errors(py::module_& module) {
    py::register_exception<invalid_size>(module, "InvalidSize", PyExc_ValueError).doc() =
        "A size that is not positive, or too large to represent (a ValueError).";
    py::register_exception<invalid_alignment>(module, "InvalidAlignment", PyExc_ValueError).doc() =
        "An alignment that is not a power of two (a ValueError).";
    py::register_exception<invalid_address>(module, "InvalidAddress", PyExc_ValueError).doc() =
        "An address outside [0, capacity), or a range that passes the end (a ValueError).";
    py::register_exception<invalid_free>(module, "InvalidFree", PyExc_ValueError).doc() =
        "A free of memory that is not allocated as given: double free, wrong size, interior address (a ValueError).";
    py::register_exception<out_of_memory>(module, "OutOfMemory", PyExc_MemoryError).doc() =
        "No free block can hold the request; the message says exhausted or fragmented (a MemoryError).";
}

}  // namespace heapkit::python

PYBIND11_MODULE(heapkit, module) {
    module.doc() = "heapkit: allocators for a contiguous resource (GPU heaps, disks, VM memory, spectrum, ...).";
    module.attr("__version__") = heapkit::version;
    heapkit::python::bind_errors(module);
    heapkit::python::bind_free_block(module);
    heapkit::python::bind_memory_allocator(module);
    heapkit::python::bind_pool_allocator(module);
}
