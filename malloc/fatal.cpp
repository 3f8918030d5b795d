// SPDX-License-Identifier: MIT
// fatal(): formats into a stack buffer and write(2)s it, since the heap may be what is broken.
#include "fatal.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "environment.hpp"

namespace heapkit::malloc_layer {

void fatal(misuse kind, const void* address) noexcept {
    char line[256];
    std::size_t length = 0;
    const auto append = [&](const char* text) {
        const std::size_t n = std::min(std::strlen(text), sizeof line - 1 - length);
        std::memcpy(line + length, text, n);
        length += n;
    };
    append("heapkit: ");
    append(verdict(kind));
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

}  // namespace heapkit::malloc_layer
