// SPDX-License-Identifier: MIT
// heapkit::detail::ledger: the facade's record of live allocations, an open-addressing hash table
// keyed by address (linear probing, Fibonacci hashing, backward-shift deletion: no tombstones).
// find, insert and erase are O(1) expected; slots live in one vector that only grows, so steady
// state allocates nothing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "heapkit/offset/units.hpp"

namespace heapkit::detail {

template <class Handle>
class ledger {
public:
    struct entry {
        Offset address;                     // where the allocation starts
        Size size;                          // its units; 0 marks an empty slot
        Owner owner;                        // meaningful when owned
        [[no_unique_address]] Handle handle;  // what the index remembers about the block
        bool owned;                         // allocated with an owner tag
    };

    ledger() : slots_(minimum_slots) {}

    entry* find(Offset address) noexcept {
        for (std::size_t at = home(address);; at = next(at)) {
            if (slots_[at].size == 0) return nullptr;
            if (slots_[at].address == address) return &slots_[at];
        }
    }
    const entry* find(Offset address) const noexcept { return const_cast<ledger*>(this)->find(address); }

    // Records `fresh` (its address must be absent) and returns its slot, valid until the next
    // insert or erase. Strong guarantee: if growing throws std::bad_alloc, nothing changed.
    entry& insert(const entry& fresh) {
        if ((count_ + 1) * 2 > slots_.size()) grow();
        ++count_;
        return place(fresh);
    }

    // Removes `gone` (a pointer from find) and shifts later entries of its probe run back.
    void erase(entry* gone) noexcept {
        std::size_t hole = static_cast<std::size_t>(gone - slots_.data());
        for (std::size_t at = next(hole); slots_[at].size != 0; at = next(at)) {
            if (may_move(home(slots_[at].address), hole, at)) {
                slots_[hole] = slots_[at];
                hole = at;
            }
        }
        slots_[hole].size = 0;
        --count_;
    }

    std::size_t size() const noexcept { return count_; }

    template <class Visitor>
    void for_each(Visitor visit) const {
        for (const entry& slot : slots_) {
            if (slot.size != 0) visit(slot);
        }
    }

    // LG1 every entry is reachable from its home slot without crossing an empty slot, LG2 the
    // count matches the occupied slots, LG3 the load stays at most 1/2 (short probe runs). O(slots).
    void validate() const {
        std::size_t occupied = 0;
        for (std::size_t at = 0; at < slots_.size(); ++at) {
            if (slots_[at].size == 0) continue;
            ++occupied;
            for (std::size_t probe = home(slots_[at].address); probe != at; probe = next(probe)) {
                if (slots_[probe].size == 0) broken("LG1", "entry for address " + std::to_string(slots_[at].address));
            }
        }
        if (occupied != count_) broken("LG2", std::to_string(occupied) + " occupied slots, count " + std::to_string(count_));
        if (count_ * 2 > slots_.size()) broken("LG3", "load above 1/2");
    }

private:
    static constexpr std::size_t minimum_slots = 16;  // a power of two

    [[noreturn]] static void broken(const char* invariant, const std::string& detail) {
        throw std::logic_error(std::string("heapkit::ledger invariant ") + invariant + " broken: " + detail);
    }

    std::size_t home(Offset address) const noexcept {
        // Fibonacci hashing: the top bits of address * 2^64/phi spread consecutive addresses.
        return static_cast<std::size_t>((address * 0x9E3779B97F4A7C15ULL) >> shift_);
    }
    std::size_t next(std::size_t at) const noexcept { return (at + 1) & (slots_.size() - 1); }

    // Whether the entry at `at`, whose home is `home_slot`, may move back into `hole`: only if
    // the hole lies on its probe path, cyclically in [home_slot, at).
    static bool may_move(std::size_t home_slot, std::size_t hole, std::size_t at) noexcept {
        if (hole <= at) return home_slot <= hole || home_slot > at;
        return home_slot <= hole && home_slot > at;
    }

    entry& place(const entry& fresh) noexcept {
        std::size_t at = home(fresh.address);
        while (slots_[at].size != 0) at = next(at);
        slots_[at] = fresh;
        return slots_[at];
    }

    void grow() {
        std::vector<entry> old(slots_.size() * 2);  // may throw: nothing changed yet
        old.swap(slots_);
        shift_ -= 1;
        for (const entry& slot : old) {
            if (slot.size != 0) place(slot);
        }
    }

    std::vector<entry> slots_;  // a power of two of them; size == 0 marks an empty slot
    std::size_t count_ = 0;     // occupied slots
    unsigned shift_ = 64 - 4;   // 64 - log2(slots_.size())
};

}  // namespace heapkit::detail
