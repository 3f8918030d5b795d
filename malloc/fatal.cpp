// SPDX-License-Identifier: MIT
// fatal(): formats into a stack buffer and write(2)s it, since the heap may be what is broken.
#include "fatal.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <initializer_list>
#include <string_view>

#include "environment.hpp"

namespace heapkit::malloc_layer {

namespace {

// Writes "heapkit: " + the pieces + " 0xADDRESS" in one write(2) and aborts.
[[noreturn]] void write_and_abort(std::initializer_list<std::string_view> pieces, const void* address) noexcept {
    char line[256];
    std::size_t length = 0;
    const auto append = [&](std::string_view text) {
        const std::size_t n = std::min(text.size(), sizeof line - 1 - length);
        std::memcpy(line + length, text.data(), n);
        length += n;
    };
    append("heapkit: ");
    for (const std::string_view piece : pieces) append(piece);
    append(" 0x");
    char digits[17];
    auto value = reinterpret_cast<std::uintptr_t>(address);
    std::size_t count = 0;
    do {
        digits[count++] = "0123456789abcdef"[value % 16];
        value /= 16;
    } while (value != 0);
    while (count > 0 && length < sizeof line - 1) line[length++] = digits[--count];
    line[length++] = '\n';
    const int report_fd = settings().report_fd;
    [[maybe_unused]] const ssize_t written = ::write(report_fd >= 0 ? report_fd : STDERR_FILENO, line, length);
    std::abort();
}

}  // namespace

void fatal(misuse kind, const void* address) noexcept { write_and_abort({verdict(kind)}, address); }

void fatal_mismatched(allocation_kind allocated, allocation_kind freed, const void* address) noexcept {
    write_and_abort({"mismatched free (allocated by ", allocator_name(allocated), ", freed by ", deallocator_name(freed), ") of"},
                    address);
}

}  // namespace heapkit::malloc_layer
