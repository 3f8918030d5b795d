// SPDX-License-Identifier: MIT
// The facade's error messages: each says what was asked and why it cannot be done, with figures.
#include "heapkit/offset/detail/messages.hpp"

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

std::string outside(Offset address, const failure_context& state) {
    return "address " + std::to_string(address) + " is outside [0, " + std::to_string(state.capacity) + ")";
}

std::string not_allocated(Offset address, std::optional<Size> size, const failure_context& state) {
    if (!state.recorded_size) return "cannot free address " + std::to_string(address) + ": no allocation starts there";
    return "cannot free " + units(size.value_or(0)) + " at " + std::to_string(address) + ": the allocation there has " +
           units(*state.recorded_size);
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
        case errc::invalid_address:
            if (address >= state.capacity) return outside(address, state);
            return "range of " + units(size.value_or(0)) + " at " + std::to_string(address) +
                   " passes the end of memory (capacity " + std::to_string(state.capacity) + ")";
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

}  // namespace heapkit::detail
