// SPDX-License-Identifier: MIT
// The facade's error messages: each says what was asked and why it cannot be done, with figures.
#include "heapkit/offset/detail/messages.hpp"

#include <limits>

namespace heapkit::detail {

std::string units(Size count) { return std::to_string(count) + (count == 1 ? " unit" : " units"); }

namespace {

std::string request(Size size, Size alignment) {
    std::string text = units(size);
    if (alignment > 1) text += " aligned to " + std::to_string(alignment);
    return text;
}

std::string out_of_memory_reason(Size size, const failure_context& state) {
    if (size > state.free_memory) return "memory is exhausted (" + units(state.free_memory) + " free)";
    return "memory is fragmented (" + units(state.free_memory) + " free, largest free block " + units(state.largest_free_block) +
           ")";
}

std::string range(Offset start, Size size) { return "[" + std::to_string(start) + ", +" + std::to_string(size) + ")"; }

std::string outside(Offset address, const failure_context& state) {
    if (state.gapped) return "address " + std::to_string(address) + " is in no span";
    return "address " + std::to_string(address) + " is outside [0, " + std::to_string(state.capacity) + ")";
}

// An address outside, or a range of `size` units from it that passes the end of its span.
std::string range_error(Offset address, Size size, const failure_context& state) {
    if (!state.span) return outside(address, state);
    if (state.gapped)
        return "range of " + units(size) + " at " + std::to_string(address) + " passes the end of its span " +
               range(state.span->start, state.span->size);
    return "range of " + units(size) + " at " + std::to_string(address) + " passes the end of memory (capacity " +
           std::to_string(state.capacity) + ")";
}

// "the allocation [a, +n) is in the way", or "[a, +n) waits for a deferred free (epoch e)".
std::string obstacle_text(const obstacle& in_way, std::string_view where) {
    if (in_way.epoch)
        return range(in_way.start, in_way.size) + " waits for a deferred free (epoch " + std::to_string(*in_way.epoch) + ")";
    return "the allocation " + range(in_way.start, in_way.size) + " is " + std::string(where);
}

std::string not_allocated(Offset address, std::optional<Size> size, const failure_context& state) {
    if (state.queued_for)
        return "cannot free address " + std::to_string(address) + ": it was freed already, after epoch " +
               std::to_string(*state.queued_for) + " (free_after)";
    if (!state.recorded_size) return "cannot free address " + std::to_string(address) + ": no allocation starts there";
    return "cannot free " + units(size.value_or(0)) + " at " + std::to_string(address) + ": the allocation there has " +
           units(*state.recorded_size);
}

// "10 units aligned to 8 at phase 3, not crossing a multiple of 64, inside [16, 100)".
std::string constrained_request(Size size, const constraints& wanted) {
    std::string text = request(size, wanted.alignment);
    if (wanted.phase != 0) text += " at phase " + std::to_string(wanted.phase);
    if (wanted.nocross != 0) text += ", not crossing a multiple of " + std::to_string(wanted.nocross);
    const bool bounded_above = wanted.max_address != std::numeric_limits<Offset>::max();
    if (wanted.min_address != 0 && bounded_above) {
        text += ", inside [" + std::to_string(wanted.min_address) + ", " + std::to_string(wanted.max_address) + ")";
    } else if (wanted.min_address != 0) {
        text += ", at or above " + std::to_string(wanted.min_address);
    } else if (bounded_above) {
        text += ", ending at or below " + std::to_string(wanted.max_address);
    }
    return text;
}

}  // namespace

std::string allocate_message(errc kind, Size size, Size alignment, const failure_context& state) {
    switch (kind) {
        case errc::invalid_size: return "allocation size must be positive, got 0";
        case errc::invalid_alignment: return "alignment " + std::to_string(alignment) + " is not a power of two";
        case errc::out_of_memory: return "cannot allocate " + request(size, alignment) + ": " + out_of_memory_reason(size, state);
        default: return "cannot allocate " + request(size, alignment);
    }
}

std::string free_message(errc kind, Offset address, std::optional<Size> size, const failure_context& state) {
    switch (kind) {
        case errc::invalid_size: return "free size must be positive, got 0";
        case errc::invalid_address: return range_error(address, size.value_or(0), state);
        case errc::invalid_free: return not_allocated(address, size, state);
        default: return "cannot free address " + std::to_string(address);
    }
}

std::string reallocate_message(errc kind, Offset address, Size new_size, Size alignment, const failure_context& state) {
    switch (kind) {
        case errc::invalid_size: return "new size must be positive, got 0";
        case errc::invalid_alignment: return "alignment " + std::to_string(alignment) + " is not a power of two";
        case errc::invalid_address: return outside(address, state);
        case errc::invalid_free: return "cannot resize: no allocation starts at address " + std::to_string(address);
        case errc::out_of_memory:
            return "cannot resize the allocation at " + std::to_string(address) + " to " + request(new_size, alignment) + ": " +
                   out_of_memory_reason(new_size, state);
        default: return "cannot resize the allocation at " + std::to_string(address);
    }
}

std::string constrained_allocate_message(errc kind, Size size, const constraints& wanted, const failure_context& state,
                                         const refusal_counts& refused) {
    switch (kind) {
        case errc::invalid_size:
        case errc::invalid_alignment: return allocate_message(kind, size, wanted.alignment, state);
        case errc::invalid_constraint:
            if (wanted.phase >= wanted.alignment)
                return "phase " + std::to_string(wanted.phase) + " is not below the alignment " +
                       std::to_string(wanted.alignment);
            if (wanted.nocross != 0 && (!is_power_of_two(wanted.nocross) || wanted.nocross < size))
                return "nocross " + std::to_string(wanted.nocross) + " is not a power of two at least the size " +
                       std::to_string(size);
            return "the window [" + std::to_string(wanted.min_address) + ", " + std::to_string(wanted.max_address) +
                   ") cannot hold " + units(size);
        case errc::out_of_memory: {
            // A block large enough exists: the constraints, not the free space, refused it.
            const std::string reason = state.largest_free_block >= size
                                           ? "no free block has a place that meets the constraints (" + units(state.free_memory) +
                                                 " free, largest free block " + units(state.largest_free_block) + ")"
                                           : out_of_memory_reason(size, state);
            std::string text = "cannot allocate " + constrained_request(size, wanted) + ": " + reason;
            std::size_t large_enough = 0;
            for (const std::size_t count : refused) large_enough += count;
            if (large_enough == 0) return text;
            text += "; " + std::to_string(large_enough) + (large_enough == 1 ? " free block is" : " free blocks are") +
                    " large enough but refused:";
            const char* separator = " ";
            for (const refusal why : {refusal::window, refusal::alignment, refusal::nocross}) {
                const std::size_t count = refused[static_cast<std::size_t>(why)];
                if (count == 0) continue;
                text += separator + std::to_string(count) + " " + std::string(refusal_name(why));
                separator = ", ";
            }
            return text;
        }
        default: return "cannot allocate " + constrained_request(size, wanted);
    }
}

std::string allocate_at_message(errc kind, Offset address, Size size, const failure_context& state,
                                const std::optional<obstacle>& in_way) {
    switch (kind) {
        case errc::invalid_size: return allocate_message(kind, size, 1, state);
        case errc::invalid_address: return range_error(address, size, state);
        case errc::out_of_memory:
            if (!in_way) return "cannot allocate " + range(address, size) + ": it is not free";
            return "cannot allocate " + range(address, size) + ": " + obstacle_text(*in_way, "in the way");
        default: return "cannot allocate " + range(address, size);
    }
}

std::string span_message(errc kind, std::string_view verb, Offset start, Size size, const span_failure& told) {
    const std::string what = "cannot " + std::string(verb) + " the span " + range(start, size) + ": ";
    switch (kind) {
        case errc::invalid_size: return "span size must be positive, got 0";
        case errc::invalid_address:
            if (verb == "add") {
                if (told.overlapped) return what + "it overlaps the span " + range(told.overlapped->start, told.overlapped->size);
                return what + "it passes 2^64 - 1, the end of the address space";
            }
            if (!told.state.span) return what + "address " + std::to_string(start) + " is in no span";
            return what + "it passes the end of the span " + range(told.state.span->start, told.state.span->size);
        case errc::invalid_free:
            if (!told.in_way) return what + "it is not wholly free";
            return what + obstacle_text(*told.in_way, "inside it");
        default: return what.substr(0, what.size() - 2);
    }
}

}  // namespace heapkit::detail
