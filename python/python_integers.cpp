// SPDX-License-Identifier: MIT
// Conversion of Python ints of any size to edge_integer.
#include "python_integers.hpp"

#include <string>

#include "heapkit/offset/error.hpp"

namespace py = pybind11;

namespace heapkit::python {

namespace {

[[noreturn]] void not_an_integer(py::handle value, const char* argument) {
    throw py::type_error(std::string(argument) + " must be an int, not " +
                         std::string(py::str(py::type::of(value).attr("__name__"))));
}

}  // namespace

edge_integer edge_integer_from(py::handle value, const char* argument) {
    if (PyBool_Check(value.ptr())) not_an_integer(value, argument);  // True is an int to Python, not a size
    py::object integer = py::reinterpret_borrow<py::object>(value);
    if (!PyLong_Check(value.ptr())) {  // numpy's integers and other objects with __index__
        PyObject* index = PyNumber_Index(value.ptr());
        if (index == nullptr) {
            PyErr_Clear();
            not_an_integer(value, argument);
        }
        integer = py::reinterpret_steal<py::object>(index);
    }
    int overflow = 0;
    const long long small = PyLong_AsLongLongAndOverflow(integer.ptr(), &overflow);
    if (overflow < 0) return {true, true, 0};
    if (overflow == 0) {
        if (small >= 0) return edge_integer::of(static_cast<std::uint64_t>(small));
        return {true, false, static_cast<std::uint64_t>(-(small + 1)) + 1};  // |small| without overflow
    }
    const unsigned long long large = PyLong_AsUnsignedLongLong(integer.ptr());
    if (PyErr_Occurred() != nullptr) {  // beyond 2^64 - 1
        PyErr_Clear();
        return {false, true, 0};
    }
    return edge_integer::of(large);
}

Size positive_units_from(const integer_argument& value, const char* argument) {
    const edge_integer units = edge_integer_from(value, argument);
    if (!units.as_units() || units.magnitude == 0) {
        throw invalid_size(std::string(argument) + " must be 1 .. 2^64 - 1, got " + units.to_string());
    }
    return units.magnitude;
}

Owner owner_from(py::handle value) {
    const edge_integer owner = edge_integer_from(value, "owner");
    if (!owner.as_units()) throw py::value_error("owner must be 0 .. 2^64 - 1, got " + owner.to_string());
    return owner.magnitude;
}

}  // namespace heapkit::python
