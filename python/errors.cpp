// SPDX-License-Identifier: MIT
// heapkit's Python exceptions: heapkit.Error, and under it one class per error kind that is also
// the standard exception the seed asks for (ValueError, MemoryError). Each class has `kind`, the
// kind's name; an OutOfMemory raised by an allocator also carries `requested`, `free` and
// `largest_free_block`. C++ heapkit errors become them through one translator.
#include <pybind11/pybind11.h>

#include <array>
#include <exception>

#include "bindings.hpp"
#include "heapkit/offset/error.hpp"

namespace py = pybind11;

namespace heapkit::python {
namespace {

struct error_class {
    errc kind;
    const char* name;
    PyObject* standard;
    const char* doc;
};

// Made once by bind_errors and kept for the life of the interpreter (as the module keeps them).
std::array<PyObject*, 7> classes{};  // by errc value; [0]: heapkit.Error

PyObject* class_of(errc kind) noexcept { return classes[static_cast<std::size_t>(kind)]; }

}  // namespace

void bind_errors(py::module_& module) {
    const py::dict base_attributes;
    base_attributes["kind"] = py::none();
    classes[0] = PyErr_NewExceptionWithDoc("heapkit.Error", "The base of every heapkit error; `kind` names its kind.",
                                           PyExc_Exception, base_attributes.ptr());
    if (classes[0] == nullptr) throw py::error_already_set();
    module.attr("Error") = py::reinterpret_borrow<py::object>(classes[0]);
    const error_class kinds[] = {
        {errc::invalid_size, "InvalidSize", PyExc_ValueError,
         "A size that is not positive, or too large to represent (a ValueError)."},
        {errc::invalid_alignment, "InvalidAlignment", PyExc_ValueError,
         "An alignment that is not a power of two (a ValueError)."},
        {errc::invalid_address, "InvalidAddress", PyExc_ValueError,
         "An address outside [0, capacity), or a range that passes the end (a ValueError)."},
        {errc::invalid_free, "InvalidFree", PyExc_ValueError,
         "A free of memory that is not allocated as given: double free, wrong size, interior address (a ValueError)."},
        {errc::out_of_memory, "OutOfMemory", PyExc_MemoryError,
         "No free block can hold the request (a MemoryError); the message says exhausted or fragmented, and\n"
         "`requested`, `free` and `largest_free_block` give the figures (None where unknown)."},
        {errc::invalid_constraint, "InvalidConstraint", PyExc_ValueError,
         "A placement constraint no address can meet: a phase not below the alignment, a nocross that is not\n"
         "a power of two at least the size, a window smaller than the size (a ValueError)."},
    };
    for (const error_class& entry : kinds) {
        const py::dict attributes;
        attributes["kind"] = std::string(kind_name(entry.kind));
        if (entry.kind == errc::out_of_memory) {
            for (const char* field : {"requested", "free", "largest_free_block"}) attributes[field] = py::none();
        }
        const py::tuple bases = py::make_tuple(py::handle(classes[0]), py::handle(entry.standard));
        PyObject* made =
            PyErr_NewExceptionWithDoc((std::string("heapkit.") + entry.name).c_str(), entry.doc, bases.ptr(), attributes.ptr());
        if (made == nullptr) throw py::error_already_set();
        classes[static_cast<std::size_t>(entry.kind)] = made;
        module.attr(entry.name) = py::reinterpret_borrow<py::object>(made);
    }
    py::register_exception_translator([](std::exception_ptr thrown) {
        try {
            if (thrown) std::rethrow_exception(thrown);
        } catch (const heapkit::error& failure) {
            PyErr_SetString(class_of(failure.kind()), failure.what());
        }
    });
}

void raise_out_of_memory(const std::string& message, Size requested, Size free_units, Size largest_free_block) {
    const py::object error = py::reinterpret_borrow<py::object>(class_of(errc::out_of_memory))(message);
    error.attr("requested") = requested;
    error.attr("free") = free_units;
    error.attr("largest_free_block") = largest_free_block;
    PyErr_SetObject(class_of(errc::out_of_memory), error.ptr());
    throw py::error_already_set();
}

}  // namespace heapkit::python
