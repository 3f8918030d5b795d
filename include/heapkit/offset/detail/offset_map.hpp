// SPDX-License-Identifier: MIT
// heapkit::detail::offset_map: a hash map from addresses to values, open addressing with linear
// probing, Fibonacci hashing and backward-shift deletion (no tombstones). The key 2^64 - 1 marks
// an empty slot: no address reaches it, since addresses lie below a capacity of at most 2^64 - 1.
// find, insert and erase are O(1) expected; slots live in one vector that only grows, so a steady
// state allocates nothing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "heapkit/offset/detail/linear_probing.hpp"
#include "heapkit/offset/units.hpp"

namespace heapkit::detail {

template <class Value>
class offset_map {
public:
    struct slot {
        Offset key;   // empty_key when the slot is free
        Value value;  // meaningful when occupied
    };
    static constexpr Offset empty_key = ~Offset{0};

    offset_map() : slots_(minimum_slots, slot{empty_key, Value{}}) {}

    slot* find(Offset key) noexcept {
        for (std::size_t at = home(key);; at = next(at)) {
            if (slots_[at].key == key) return &slots_[at];
            if (slots_[at].key == empty_key) return nullptr;
        }
    }
    const slot* find(Offset key) const noexcept { return const_cast<offset_map*>(this)->find(key); }
    // Starts loading the cache line where find(key) or insert(key) will look first, so that work
    // done meanwhile hides the miss of a table too large for the cache. Changes nothing.
    void prefetch(Offset key) const noexcept { __builtin_prefetch(&slots_[home(key)]); }

    // Makes room for `count` entries in all, so that inserting up to that many cannot throw.
    void reserve(std::size_t count) {
        while (over_load(count)) grow();
    }

    // Adds `key` (absent, and not empty_key) and returns its slot, valid until the next insert or
    // erase. Strong guarantee: if growing throws std::bad_alloc, nothing changed.
    slot& insert(Offset key, const Value& value) {
        reserve(count_ + 1);
        ++count_;
        return place({key, value});
    }

    // Removes `gone` (a pointer from find) and shifts later entries of its probe run back.
    void erase(slot* gone) noexcept {
        const std::size_t hole = shift_back(
            slots_, static_cast<std::size_t>(gone - slots_.data()), [](const slot& here) { return here.key == empty_key; },
            [this](const slot& here) { return home(here.key); });
        slots_[hole].key = empty_key;
        --count_;
    }

    std::size_t size() const noexcept { return count_; }
    // Bytes of memory the slots take.
    std::size_t metadata_bytes() const noexcept { return slots_.capacity() * sizeof(slot); }

    template <class Visitor>
    void for_each(Visitor visit) const {
        for (const slot& entry : slots_) {
            if (entry.key != empty_key) visit(entry.key, entry.value);
        }
    }

    // OM1 every key is reachable from its home slot without crossing an empty slot, OM2 the
    // count matches the occupied slots, OM3 the load stays at most 3/8 (short probe runs:
    // at 1/2, linear probing's runs made a lookup twice as slow at 1k entries).
    // O(slots); throws std::logic_error.
    void validate() const {
        std::size_t occupied = 0;
        for (std::size_t at = 0; at < slots_.size(); ++at) {
            if (slots_[at].key == empty_key) continue;
            ++occupied;
            for (std::size_t probe = home(slots_[at].key); probe != at; probe = next(probe)) {
                if (slots_[probe].key == empty_key) broken("OM1", "key " + std::to_string(slots_[at].key));
            }
        }
        if (occupied != count_) broken("OM2", std::to_string(occupied) + " occupied slots, count " + std::to_string(count_));
        if (over_load(count_)) broken("OM3", "load above 3/8");
    }

private:
    static constexpr std::size_t minimum_slots = 16;  // a power of two

    [[noreturn]] static void broken(const char* invariant, const std::string& detail) {
        throw std::logic_error(std::string("heapkit::offset_map invariant ") + invariant + " broken: " + detail);
    }

    bool over_load(std::size_t count) const noexcept { return count * 8 > slots_.size() * 3; }

    std::size_t home(Offset key) const noexcept {
        // Fibonacci hashing: the top bits of key * 2^64/phi spread consecutive addresses.
        return static_cast<std::size_t>((key * 0x9E3779B97F4A7C15ULL) >> shift_);
    }
    std::size_t next(std::size_t at) const noexcept { return (at + 1) & (slots_.size() - 1); }

    slot& place(const slot& fresh) noexcept {
        std::size_t at = home(fresh.key);
        while (slots_[at].key != empty_key) at = next(at);
        slots_[at] = fresh;
        return slots_[at];
    }

    void grow() {
        std::vector<slot> old(slots_.size() * 2, slot{empty_key, Value{}});  // may throw: nothing changed yet
        old.swap(slots_);
        shift_ -= 1;
        for (const slot& entry : old) {
            if (entry.key != empty_key) place(entry);
        }
    }

    std::vector<slot> slots_;  // a power of two of them
    std::size_t count_ = 0;    // occupied slots
    unsigned shift_ = 64 - 4;  // 64 - log2(slots_.size())
};

}  // namespace heapkit::detail
