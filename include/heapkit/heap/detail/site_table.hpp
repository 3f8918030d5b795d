// SPDX-License-Identifier: MIT
// site_table: interns allocation sites so that a block stores a 32-bit id instead of its stack.
// intern() captures the caller's stack and finds or adds the site: O(depth) expected.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <span>
#include <unordered_map>

#include "heapkit/heap/debug_report.hpp"
#include "heapkit/heap/detail/os.hpp"

namespace heapkit::detail {

class site_table {
public:
    // Captures up to `backtrace_depth` frames per site (0: the source location alone) with `walk`.
    site_table(std::size_t backtrace_depth, os::stack_walk walk) : depth_(backtrace_depth), walk_(walk) {}

    // The id of the site `location` with the stack of the call. Throws std::bad_alloc.
    std::uint32_t intern(const call_site& location);
    // The site of `id` (from intern); its address is stable for the table's life.
    const allocation_site& site(std::uint32_t id) const { return sites_[id]; }

private:
    // Without stacks a site is its source location alone: a direct-mapped cache of recent
    // locations then answers intern() without hashing strings.
    struct recent_location {
        const char* file = nullptr;  // compared by address
        const char* function = nullptr;
        unsigned line = 0;
        std::uint32_t id = 0;
    };
    static constexpr std::size_t recent_count = 256;

    std::uint32_t find_or_add(const call_site& location, std::span<void* const> stack);

    std::array<recent_location, recent_count> recent_{};
    std::size_t depth_;  // frames captured per site
    os::stack_walk walk_;
    std::deque<allocation_site> sites_;                          // by id; a deque keeps addresses stable
    std::unordered_multimap<std::uint64_t, std::uint32_t> ids_;  // site hash -> id
};

}  // namespace heapkit::detail
