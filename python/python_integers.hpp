// SPDX-License-Identifier: MIT
// Python integers at heapkit's edge: any int of any sign and size, or any object with __index__
// (numpy's integers), becomes an edge_integer, so that -5 or 2**70 fail like other invalid values
// (never OverflowError); bool (an int to Python, but no size) and everything else is a TypeError.
// integer_argument lets a binding take such an argument while its signature still says int.
#pragma once

#include <pybind11/pybind11.h>

#include "heapkit/offset/edge_integer.hpp"

namespace heapkit::python {

// An argument that edge_integer_from will judge (pybind11 passes any object through).
struct integer_argument {
    pybind11::object value;
};

// `value` as an edge_integer; throws pybind11::type_error naming `argument` if it is not an integer.
edge_integer edge_integer_from(pybind11::handle value, const char* argument);
inline edge_integer edge_integer_from(const integer_argument& value, const char* argument) {
    return edge_integer_from(value.value, argument);
}

// `value` as a unit count 1 .. 2^64 - 1 (a capacity, a block size); throws invalid_size otherwise.
Size positive_units_from(const integer_argument& value, const char* argument);

// `value` as an owner tag 0 .. 2^64 - 1; throws pybind11::value_error otherwise.
Owner owner_from(pybind11::handle value);

}  // namespace heapkit::python

namespace pybind11::detail {

template <>
struct type_caster<heapkit::python::integer_argument> {
    PYBIND11_TYPE_CASTER(heapkit::python::integer_argument, const_name("int"));
    bool load(handle source, bool) {
        if (!source) return false;
        value.value = reinterpret_borrow<object>(source);
        return true;
    }
};

}  // namespace pybind11::detail
