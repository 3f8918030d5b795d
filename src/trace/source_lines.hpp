// SPDX-License-Identifier: MIT
// What symbolize_profile adds to the function names: each frame's source file and line.
#pragma once

#include "heapkit/trace/profile.hpp"

namespace heapkit::trace::detail {

// Gives each frame that has no file yet the file and line of its call from the module's DWARF
// (its own or a separate debug file's): the line in the function that holds the code, which for
// code inlined into it is the line where the inlined call was made. Frames in modules without DWARF, or that no
// compile unit covers, are left as they are. A frame still without a function name gets the
// DWARF's name of that function.
void add_source_lines(profile& recording);

}  // namespace heapkit::trace::detail
