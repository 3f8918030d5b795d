// SPDX-License-Identifier: MIT
// The text of the facade's exceptions, built only on the error path (out of the header template).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "heapkit/offset/error.hpp"
#include "heapkit/offset/placement_constraints.hpp"
#include "heapkit/offset/units.hpp"

namespace heapkit::detail {

// What the facade knew when a call failed; recorded_size is the size of the live allocation
// at the address, if there is one, queued_for the epoch of a deferred free there, if any, span
// the span holding the address, and gapped whether the spans are anything but [0, capacity).
struct failure_context {
    Size capacity;
    Size free_memory;
    Size largest_free_block;
    std::optional<Size> recorded_size;
    std::optional<std::uint64_t> queued_for = std::nullopt;
    std::optional<free_block> span = std::nullopt;
    bool gapped = false;
};

// "1 unit", "5 units".
std::string units(Size count);

std::string allocate_message(errc kind, Size size, Size alignment, const failure_context& state);
// size is absent for free(address), which takes the size from the ledger.
std::string free_message(errc kind, Offset address, std::optional<Size> size, const failure_context& state);
std::string reallocate_message(errc kind, Offset address, Size new_size, Size alignment, const failure_context& state);

// How many free blocks large enough for a request each refusal (by its value) turned away.
using refusal_counts = std::array<std::size_t, 4>;
std::string constrained_allocate_message(errc kind, Size size, const constraints& wanted, const failure_context& state,
                                         const refusal_counts& refused);

// What stands in the way of allocate_at: a live allocation, or a deferred free and its epoch.
struct obstacle {
    Offset start;
    Size size;
    std::optional<std::uint64_t> epoch;
};
std::string allocate_at_message(errc kind, Offset address, Size size, const failure_context& state,
                                const std::optional<obstacle>& in_way);

// What add_span and remove_span knew: the state at the range's start, the lowest span the range
// overlaps and the lowest allocation or deferred free inside it.
struct span_failure {
    failure_context state;
    std::optional<free_block> overlapped;
    std::optional<obstacle> in_way;
};
// `verb` is "add" or "remove".
std::string span_message(errc kind, std::string_view verb, Offset start, Size size, const span_failure& told);

}  // namespace heapkit::detail
