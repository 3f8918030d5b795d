// SPDX-License-Identifier: MIT
// Wording of debug reports, symbolization of sites, and the snapshot series analysis.
#include "heapkit/heap/debug_report.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "heapkit/heap/detail/os.hpp"

namespace heapkit {

std::string_view issue_name(debug_issue issue) noexcept {
    switch (issue) {
        case debug_issue::double_free: return "double free";
        case debug_issue::foreign_pointer: return "foreign pointer";
        case debug_issue::interior_pointer: return "interior pointer";
        case debug_issue::overflow: return "overflow";
        case debug_issue::underflow: return "underflow";
        case debug_issue::write_after_free: return "write after free";
        case debug_issue::leak: return "leak";
        case debug_issue::use_after_free: return "use after free";
        case debug_issue::mismatched_free: return "mismatched free";
        case debug_issue::wrong_size: return "wrong size";
    }
    return "unknown issue";
}

std::string_view allocator_name(allocation_kind kind) noexcept {
    switch (kind) {
        case allocation_kind::malloc: return "malloc";
        case allocation_kind::new_object: return "new";
        case allocation_kind::new_array: return "new[]";
    }
    return "?";
}

std::string_view deallocator_name(allocation_kind kind) noexcept {
    switch (kind) {
        case allocation_kind::malloc: return "free";
        case allocation_kind::new_object: return "delete";
        case allocation_kind::new_array: return "delete[]";
    }
    return "?";
}

std::string allocation_site::where() const {
    return std::string(location.file) + ":" + std::to_string(location.line) + " (" + location.function + ")";
}

std::vector<std::string> allocation_site::symbolized_frames() const {
    std::vector<std::string> lines;
    lines.reserve(frames.size());
    for (const void* frame : frames) lines.push_back(os::describe_frame(frame));
    return lines;
}

namespace {

std::string hex(const void* pointer) {
    char text[32];
    std::snprintf(text, sizeof text, "%p", pointer);
    return text;
}

// How each issue reads before "the N-byte block at 0x...".
std::string_view relation(debug_issue issue) noexcept {
    switch (issue) {
        case debug_issue::double_free: return "double free of";
        case debug_issue::foreign_pointer: return "free of a pointer never handed out:";
        case debug_issue::interior_pointer: return "free of a pointer into";
        case debug_issue::overflow: return "overflow past";
        case debug_issue::underflow: return "underflow before";
        case debug_issue::write_after_free: return "write after free into";
        case debug_issue::leak: return "leak of";
        case debug_issue::use_after_free: return "use after free of";
        case debug_issue::mismatched_free: return "mismatched free of";
        case debug_issue::wrong_size: return "sized delete with the wrong size of";
    }
    return "?";
}

}  // namespace

std::string debug_report::message() const {
    return message(site != nullptr ? site->where() : std::string(), freed_site != nullptr ? freed_site->where() : std::string());
}

std::string debug_report::message(std::string_view allocated_at, std::string_view freed_at) const {
    std::string line = "heapkit: " + std::string(relation(issue)) + " ";
    if (issue == debug_issue::leak) {
        line += std::to_string(size) + " bytes in " + std::to_string(count) + (count == 1 ? " block" : " blocks") +
                ", first at " + hex(address);
    } else if (site == nullptr) {
        line += hex(address);
    } else {
        line += "the " + std::to_string(size) + "-byte block at " + hex(address);
    }
    if (site != nullptr) line += " allocated at " + std::string(allocated_at);
    if (issue == debug_issue::mismatched_free)
        line += "; allocated by " + std::string(allocator_name(allocated_by)) + ", freed by " +
                std::string(deallocator_name(freed_by));
    if (issue == debug_issue::wrong_size) line += "; the delete said " + std::to_string(stated_size) + " bytes";
    if (!freed_at.empty()) line += "; freed at " + std::string(freed_at);
    return line;
}

void abort_with_report(const debug_report& report) {
    std::fprintf(stderr, "%s\n", report.message().c_str());
    std::abort();
}

std::vector<site_growth> growing_sites(std::span<const live_snapshot> series) {
    std::vector<site_growth> growing;
    if (series.size() < 2) return growing;
    const auto bytes_in = [](const live_snapshot& snapshot, const allocation_site* site) -> std::size_t {
        const auto found = snapshot.find(site);
        return found == snapshot.end() ? 0 : found->second.bytes;
    };
    for (const auto& [site, total] : series.back()) {
        bool grew_every_time = true;
        for (std::size_t i = 1; i < series.size() && grew_every_time; ++i)
            grew_every_time = bytes_in(series[i], site) > bytes_in(series[i - 1], site);
        if (grew_every_time) growing.push_back({site, bytes_in(series.front(), site), total.bytes});
    }
    std::sort(growing.begin(), growing.end(), [](const site_growth& a, const site_growth& b) {
        return a.last_bytes - a.first_bytes > b.last_bytes - b.first_bytes;
    });
    return growing;
}

}  // namespace heapkit
