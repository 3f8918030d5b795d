// SPDX-License-Identifier: MIT
// Escaping and quantities for the pictures and pages.
#include "heapkit/trace/page_text.hpp"

#include <cstdio>

namespace heapkit::trace {

std::string html_escaped(const std::string& text) {
    std::string out;
    for (const char c : text) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            default: out += c;
        }
    }
    return out;
}

std::string bytes_text(std::uint64_t bytes) {
    constexpr double kib = 1024, mib = kib * 1024, gib = mib * 1024;
    const auto value = static_cast<double>(bytes);
    char text[32];
    if (bytes < 10 * 1024) {
        std::snprintf(text, sizeof text, "%llu B", static_cast<unsigned long long>(bytes));
    } else if (value < 10 * mib) {
        std::snprintf(text, sizeof text, "%.1f KiB", value / kib);
    } else if (value < 10 * gib) {
        std::snprintf(text, sizeof text, "%.1f MiB", value / mib);
    } else {
        std::snprintf(text, sizeof text, "%.1f GiB", value / gib);
    }
    return text;
}

std::string seconds_text(std::uint64_t time_us) {
    char text[32];
    std::snprintf(text, sizeof text, "%.3f s", static_cast<double>(time_us) / 1e6);
    return text;
}

std::string axis_time_text(std::uint64_t time_us, std::uint64_t end_us) {
    if (end_us >= 1'000'000) return seconds_text(time_us);
    char text[32];
    std::snprintf(text, sizeof text, "%.2f ms", static_cast<double>(time_us) / 1e3);
    return text;
}

}  // namespace heapkit::trace
