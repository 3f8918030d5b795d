// SPDX-License-Identifier: MIT
// What every trace reader (heapkit's format, mtrace and valgrind logs, profiles, heaptrack's
// files) builds with: operations on blocks named by the source's ids, each checked, recorded as
// events on dense slots (a slot is reused once its block is freed).
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "heapkit/trace/trace.hpp"

namespace heapkit::trace {

// Checks operations on named blocks and records them as events on dense slots.
class trace_builder {
public:
    explicit trace_builder(trace& result) : result_(result) {}

    void set_line(std::size_t line_number) noexcept { line_number_ = line_number; }
    [[noreturn]] void fail(const std::string& problem) const { throw trace_error(result_.source, line_number_, problem); }

    void allocate(std::uint64_t id, Size size, Size alignment) {
        if (size == 0) fail("size 0");
        if (!is_power_of_two(alignment)) fail("alignment " + std::to_string(alignment) + " is not a power of two");
        if (live_.contains(id)) fail("id " + std::to_string(id) + " is already live");
        std::uint32_t slot = 0;
        if (free_slots_.empty()) {
            slot = static_cast<std::uint32_t>(result_.slot_count++);
        } else {
            slot = free_slots_.back();
            free_slots_.pop_back();
        }
        live_.emplace(id, slot);
        freed_.erase(id);
        result_.events.push_back({operation::allocate, slot, size, alignment});
    }
    void free(std::uint64_t id) {
        const std::uint32_t slot = live_slot(id);
        live_.erase(id);
        freed_.insert(id);
        free_slots_.push_back(slot);
        result_.events.push_back({operation::free, slot, 0, 1});
    }
    void resize(std::uint64_t id, Size size) {
        if (size == 0) fail("size 0");
        result_.events.push_back({operation::resize, live_slot(id), size, 1});
    }
    // The block `from` is now called `to` (a realloc that moved it).
    void rename(std::uint64_t from, std::uint64_t to) {
        const std::uint32_t slot = live_slot(from);
        live_.erase(from);
        if (live_.contains(to)) fail("id " + std::to_string(to) + " is already live");
        live_.emplace(to, slot);
        freed_.insert(from);  // the old address is gone with the move
        freed_.erase(to);
    }
    bool is_live(std::uint64_t id) const { return live_.contains(id); }
    // A log's free of `id` that is not live: of null, of a block the log freed already, or of one
    // from before the log began.
    void skip_free(std::uint64_t id) {
        skipped_lines& skipped = result_.skipped;
        ++(id == 0 ? skipped.null_frees : freed_.contains(id) ? skipped.double_frees : skipped.unknown_frees);
    }
    void skip_failed_allocation() { ++result_.skipped.failed_allocations; }
    void skip_other_message() { ++result_.skipped.other_messages; }

private:
    std::uint32_t live_slot(std::uint64_t id) const {
        const auto found = live_.find(id);
        if (found == live_.end()) fail("id " + std::to_string(id) + " is not live (never allocated, or freed)");
        return found->second;
    }

    trace& result_;
    std::size_t line_number_ = 0;
    std::unordered_map<std::uint64_t, std::uint32_t> live_;  // live id -> slot
    std::unordered_set<std::uint64_t> freed_;                // ids freed and not allocated again since
    std::vector<std::uint32_t> free_slots_;                  // slots of freed blocks, reused first
};

}  // namespace heapkit::trace
