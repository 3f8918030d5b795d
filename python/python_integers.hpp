// SPDX-License-Identifier: MIT
// Python ints at heapkit's edge: any sign and any size become an edge_integer, so that -5 or 2**70
// fail like other invalid values (never OverflowError); anything that is not an int is a
// TypeError.
#pragma once

#include <pybind11/pybind11.h>

#include "heapkit/offset/edge_integer.hpp"

namespace heapkit::python {

// `value` as an edge_integer; throws pybind11::type_error naming `argument` if it is not an int.
edge_integer edge_integer_from(pybind11::handle value, const char* argument);

// `value` as a unit count 1 .. 2^64 - 1 (a capacity, a block size); throws invalid_size otherwise.
Size positive_units_from(pybind11::handle value, const char* argument);

// `value` as an owner tag 0 .. 2^64 - 1; throws pybind11::value_error otherwise.
Owner owner_from(pybind11::handle value);

}  // namespace heapkit::python
