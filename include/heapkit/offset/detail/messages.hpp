// SPDX-License-Identifier: MIT
// The text of the facade's exceptions, built only on the error path (out of the header template).
#pragma once

#include <optional>
#include <string>

#include "heapkit/offset/error.hpp"
#include "heapkit/offset/units.hpp"

namespace heapkit::detail {

// What the facade knew when a call failed; recorded_size is the size of the live allocation
// at the address, if there is one.
struct failure_context {
    Size capacity;
    Size free_memory;
    Size largest_free_block;
    std::optional<Size> recorded_size;
};

// "1 unit", "5 units".
std::string units(Size count);

std::string allocate_message(errc kind, Size size, Size alignment, const failure_context& state);
// size is absent for free(address), which takes the size from the ledger.
std::string free_message(errc kind, Offset address, std::optional<Size> size, const failure_context& state);
std::string reallocate_message(errc kind, Offset address, Size new_size, Size alignment, const failure_context& state);

}  // namespace heapkit::detail
