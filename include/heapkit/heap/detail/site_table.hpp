// SPDX-License-Identifier: MIT
// site_table: interns allocation sites so that a block stores a 32-bit id instead of its stack.
// intern() captures the caller's stack and finds or adds the site: O(depth) expected, in an index
// of open addressing from the site's hash to its id.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <span>
#include <vector>

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

    // ST1 every site is found from its hash's home without crossing an empty cell, ST2 the index
    // holds each site once and nothing else, ST3 it is at most half full. O(sites + cells);
    // throws std::logic_error.
    void validate() const;

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

    // The hash of a source file's name, cached by the name's address (a call site's file is a
    // string literal: hashing its characters on every call cost more than the lookup).
    struct recent_file {
        const char* file = nullptr;
        std::uint64_t hash = 0;
    };
    static constexpr std::size_t recent_file_count = 64;

    // A cell of the id index: open addressing, linear probing, at most half full, never erased.
    struct id_cell {
        std::uint64_t hash;  // of the site's location and frames
        std::uint32_t id;    // no_id: empty
    };
    static constexpr std::uint32_t no_id = ~std::uint32_t{0};

    std::uint32_t find_or_add(const call_site& location, std::span<void* const> stack);
    std::uint64_t hash_of(const call_site& location, std::span<const void* const> stack) const noexcept;
    std::uint64_t file_hash(const char* file) const noexcept;
    std::size_t home(std::uint64_t hash) const noexcept;
    void place(id_cell cell) noexcept;
    void grow_index();

    std::array<recent_location, recent_count> recent_{};
    mutable std::array<recent_file, recent_file_count> recent_files_{};  // a cache: no state a caller sees
    std::size_t depth_;                                                  // frames captured per site
    os::stack_walk walk_;
    os::unwind_memo memo_;               // the table is used by one thread at a time: its walks share a memo
    std::deque<allocation_site> sites_;  // by id; a deque keeps addresses stable
    std::vector<id_cell> ids_;           // site hash -> id; a power of two cells (or none yet)
    unsigned index_shift_ = 64;          // 64 - log2(ids_.size())
};

}  // namespace heapkit::detail
