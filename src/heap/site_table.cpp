// SPDX-License-Identifier: MIT
// site_table: stack capture, hashing and interning of allocation sites.
#include "heapkit/heap/detail/site_table.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <functional>
#include <string_view>

#include "heapkit/heap/detail/os.hpp"

namespace heapkit::detail {

namespace {

constexpr std::size_t max_depth = 32;

std::uint64_t mix(std::uint64_t hash, std::uint64_t value) noexcept {
    hash ^= value + 0x9E3779B97F4A7C15ull + (hash << 6) + (hash >> 2);
    return hash;
}

bool same_location(const call_site& a, const call_site& b) noexcept {
    return a.line == b.line && std::string_view(a.file) == b.file && std::string_view(a.function) == b.function;
}

}  // namespace

std::uint32_t site_table::intern(const call_site& location) {
    if (depth_ == 0) {
        const auto slot = (reinterpret_cast<std::uintptr_t>(location.file) ^ location.line * 0x9E3779B1u) % recent_count;
        recent_location& recent = recent_[slot];
        if (recent.file == location.file && recent.function == location.function && recent.line == location.line)
            return recent.id;
        const std::uint32_t id = find_or_add(location, {});
        recent = {location.file, location.function, location.line, id};
        return id;
    }
    std::array<void*, max_depth> stack{};
    const std::size_t depth = os::capture_backtrace(std::span(stack).first(std::min(depth_, max_depth)), 1, walk_);
    return find_or_add(location, std::span(stack).first(depth));
}

std::uint32_t site_table::find_or_add(const call_site& location, std::span<void* const> stack) {
    std::uint64_t hash = mix(mix(0, location.line), std::hash<std::string_view>{}(location.file));
    for (void* frame : stack) hash = mix(hash, reinterpret_cast<std::uintptr_t>(frame));
    const auto [first, last] = ids_.equal_range(hash);
    for (auto candidate = first; candidate != last; ++candidate) {
        const allocation_site& known = sites_[candidate->second];
        if (same_location(known.location, location) &&
            std::equal(known.frames.begin(), known.frames.end(), stack.begin(), stack.end()))
            return candidate->second;
    }
    const auto id = static_cast<std::uint32_t>(sites_.size());
    sites_.push_back({location, std::vector<const void*>(stack.begin(), stack.end())});
    ids_.emplace(hash, id);
    return id;
}

}  // namespace heapkit::detail
