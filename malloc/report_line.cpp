// SPDX-License-Identifier: MIT
// report_line and frames_outside_heapkit.
#include "report_line.hpp"

#include <dlfcn.h>
#include <unistd.h>

#include "environment.hpp"
#include "heapkit/heap/detail/os.hpp"

namespace heapkit::malloc_layer {

void report_line(std::string_view line) noexcept {
    const int fd = settings().report_fd >= 0 ? settings().report_fd : STDERR_FILENO;
    try {
        std::string text(line);
        text += '\n';
        [[maybe_unused]] const ssize_t written = ::write(fd, text.data(), text.size());
    } catch (...) {  // no memory for the copy: the line without its newline, then one
        [[maybe_unused]] ssize_t written = ::write(fd, line.data(), line.size());
        written = ::write(fd, "\n", 1);
    }
}

std::string frames_outside_heapkit(std::span<const void* const> frames) {
    Dl_info own{};
    ::dladdr(reinterpret_cast<void*>(&report_line), &own);
    std::string text;
    int shown = 0;
    for (const void* frame : frames) {
        Dl_info info{};
        if (::dladdr(frame, &info) != 0 && info.dli_fbase == own.dli_fbase) continue;
        if (!text.empty()) text += " < ";
        text += os::describe_frame(frame);
        if (++shown == 3) break;
    }
    return text.empty() ? std::string("an unknown place") : text;
}

}  // namespace heapkit::malloc_layer
