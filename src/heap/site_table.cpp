// SPDX-License-Identifier: MIT
// site_table: stack capture, hashing and interning of allocation sites.
#include "heapkit/heap/detail/site_table.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "heapkit/heap/detail/os.hpp"

namespace heapkit::detail {

namespace {

constexpr std::size_t max_depth = 32;

std::uint64_t mix(std::uint64_t hash, std::uint64_t value) noexcept {
    hash ^= value + 0x9E3779B97F4A7C15ull + (hash << 6) + (hash >> 2);
    return hash;
}

// Call sites' strings are compared by address first: they are string literals.
bool same_string(const char* a, const char* b) noexcept { return a == b || std::string_view(a) == b; }

bool same_location(const call_site& a, const call_site& b) noexcept {
    return a.line == b.line && same_string(a.file, b.file) && same_string(a.function, b.function);
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
    const std::size_t depth = os::capture_backtrace(std::span(stack).first(std::min(depth_, max_depth)), 1, walk_, &memo_);
    return find_or_add(location, std::span(stack).first(depth));
}

std::uint64_t site_table::file_hash(const char* file) const noexcept {
    recent_file& recent = recent_files_[(reinterpret_cast<std::uintptr_t>(file) >> 3) % recent_file_count];
    if (recent.file != file) recent = {file, std::hash<std::string_view>{}(file)};
    return recent.hash;
}

// Fibonacci hashing: the top bits of hash * 2^64/phi, so that every bit of the hash counts.
std::size_t site_table::home(std::uint64_t hash) const noexcept {
    return static_cast<std::size_t>((hash * 0x9E3779B97F4A7C15ull) >> index_shift_);
}

void site_table::place(id_cell cell) noexcept {
    const std::size_t mask = ids_.size() - 1;
    std::size_t at = home(cell.hash);
    while (ids_[at].id != no_id) at = (at + 1) & mask;
    ids_[at] = cell;
}

// Doubles the index (64 cells at first) and files every site again. Strong guarantee.
void site_table::grow_index() {
    std::vector<id_cell> old(ids_.empty() ? 64 : ids_.size() * 2, id_cell{0, no_id});  // may throw
    old.swap(ids_);
    index_shift_ = 64 - static_cast<unsigned>(std::countr_zero(ids_.size()));
    for (const id_cell& cell : old) {
        if (cell.id != no_id) place(cell);
    }
}

std::uint64_t site_table::hash_of(const call_site& location, std::span<const void* const> stack) const noexcept {
    std::uint64_t hash = mix(mix(0, location.line), file_hash(location.file));
    for (const void* frame : stack) hash = mix(hash, reinterpret_cast<std::uintptr_t>(frame));
    return hash;
}

std::uint32_t site_table::find_or_add(const call_site& location, std::span<void* const> stack) {
    const std::uint64_t hash = hash_of(location, stack);
    if (!ids_.empty()) {
        const std::size_t mask = ids_.size() - 1;
        for (std::size_t at = home(hash); ids_[at].id != no_id; at = (at + 1) & mask) {
            if (ids_[at].hash != hash) continue;
            const allocation_site& known = sites_[ids_[at].id];
            if (same_location(known.location, location) &&
                std::equal(known.frames.begin(), known.frames.end(), stack.begin(), stack.end()))
                return ids_[at].id;
        }
    }
    if ((sites_.size() + 1) * 2 > ids_.size()) grow_index();
    const auto id = static_cast<std::uint32_t>(sites_.size());
    sites_.push_back({location, std::vector<const void*>(stack.begin(), stack.end())});
    place({hash, id});
    return id;
}

void site_table::validate() const {
    const auto broken = [](const char* invariant, const std::string& detail) {
        throw std::logic_error(std::string("heapkit::site_table invariant ") + invariant + " broken: " + detail);
    };
    std::size_t filed = 0;
    for (const id_cell& cell : ids_) {
        if (cell.id == no_id) continue;
        ++filed;
        if (cell.id >= sites_.size())
            broken("ST2", "cell names site " + std::to_string(cell.id) + " of " + std::to_string(sites_.size()));
    }
    if (filed != sites_.size()) broken("ST2", std::to_string(filed) + " cells for " + std::to_string(sites_.size()) + " sites");
    if (filed * 2 > ids_.size()) broken("ST3", "more than half full");
    for (std::uint32_t id = 0; id < sites_.size(); ++id) {
        const std::uint64_t hash = hash_of(sites_[id].location, sites_[id].frames);
        bool found = false;
        for (std::size_t at = home(hash); !found && ids_[at].id != no_id; at = (at + 1) & (ids_.size() - 1))
            found = ids_[at].id == id && ids_[at].hash == hash;
        if (!found) broken("ST1", "site " + std::to_string(id) + " not reached from its home");
    }
}

}  // namespace heapkit::detail
