// SPDX-License-Identifier: MIT
// heapkit::detail::allocation_ledger<Record>: the live allocations of a facade as numbered slots,
// each with a generation and the facade's record, and an index from address to slot kept from the
// first lookup by address.
//
// A handle names a slot and the generation it had when the allocation was made, so finding the
// allocation of a handle is one array read with no hash, and a stale handle (its allocation freed,
// the slot perhaps reused), a double free, a forged value or another allocator's handle is told
// from a live one: the generation no longer matches. A slot's generation is odd while live and is
// bumped on every allocation and every free, so a slot must be reused 2^31 times before an old
// handle could match again. The generation travels plus a tag drawn per ledger (the n-th ledger's
// tag is n * 2^32/phi, mod 2^32), so that a handle of one allocator fails on another: it would
// pass only if the two slots' generations differed by exactly the difference of the tags, which
// for ledgers made within a thousand of each other is at least 1.9 million.
//
// The ledger keeps no addresses: where an allocation starts is the record's business (a facade
// whose index names the block by its handle reads it there, so a slot is 8 bytes for tlsf), and
// the calls that need an address are given it, or an `address_of(slot)` to read it, as
// detail::address_table's are. The address index (address -> slot) is built on the first lookup by
// address and kept from then on: an allocator used only through handles pays for no hash at all.
// add, remove and handle lookups are O(1); address lookups O(1) expected once the index exists.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <new>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "heapkit/offset/detail/address_table.hpp"
#include "heapkit/offset/detail/lean_growth.hpp"
#include "heapkit/offset/units.hpp"

namespace heapkit::detail {

// The tag of a new ledger, whatever its record type (one counter for the process): distinct for
// the first 2^32 ledgers (an odd multiplier permutes the counter), and far apart for ledgers made
// near each other (the golden ratio's multiples spread evenly).
inline std::uint32_t next_ledger_tag() noexcept {
    static std::atomic<std::uint32_t> made{0};
    return (made.fetch_add(1, std::memory_order_relaxed) + 1) * 0x9E3779B9u;
}

template <class Record>
class allocation_ledger {
    static_assert(std::is_trivially_copyable_v<Record>, "a free slot's record shares its bytes with the free chain");

public:
    using slot_number = std::uint32_t;
    static constexpr slot_number none = ~slot_number{0};

    struct entry {
        entry() noexcept : generation(0), next_free(none) {}  // a fresh slot: free, at the end of the chain
        std::uint32_t generation;                             // odd while live
        union {
            Record record;          // live: the facade's record
            slot_number next_free;  // free: the next free slot, or none
        };
    };

    allocation_ledger() : tag_(next_ledger_tag()) {}

    // A slot for a fresh live allocation at `address`. Strong guarantee: throws std::bad_alloc
    // (nothing changed) when the slots or the address index cannot grow.
    [[gnu::always_inline]] slot_number add(Offset address, const Record& record) {
        if (indexed_) by_address_.reserve(by_address_.size() + 1);
        slot_number at = free_;
        if (at == none) {
            at = new_slot();
        } else {
            free_ = entries_[at].next_free;
        }
        entry& fresh = entries_[at];
        fresh.generation += 1;
        fresh.record = record;
        if (indexed_) {
            by_address_.insert(address, at);  // room reserved
            found_slot_ = none;
        }
        ++live_;
        return at;
    }

    // Frees the live slot `at`, whose allocation starts at `address`: its handle and its address
    // stop naming it. Reads no record, so the allocation may already be gone from the index.
    void remove(slot_number at, Offset address) noexcept {
        if (indexed_) unindex(at, address);
        free_slot(at);
    }

    // The live slot `at` now names the allocation at `to` instead of `from` (no other live slot's);
    // the caller's record says so.
    void readdress(slot_number at, Offset from, Offset to) noexcept {
        if (!indexed_) return;
        unindex(at, from);
        by_address_.insert(to, at);  // the erase left room: no growth
    }

    // The allocation in slot `moved` (live, at `moved_address`) now lives in slot `kept` (live,
    // its allocation at `kept_address` gone), so that kept's handle names it; `moved` is freed.
    // For an allocation that changes place.
    void replace(slot_number kept, Offset kept_address, slot_number moved, Offset moved_address) noexcept {
        if (indexed_) {
            unindex(kept, kept_address);
            by_address_.rename(moved_address, moved, kept);
        }
        entries_[kept].record = entries_[moved].record;
        free_slot(moved);
    }

    entry& operator[](slot_number at) noexcept { return entries_[at]; }
    const entry& operator[](slot_number at) const noexcept { return entries_[at]; }

    // The handle of the live slot `at`: its number and its generation.
    std::uint64_t handle_of(slot_number at) const noexcept { return std::uint64_t{entries_[at].generation + tag_} << 32 | at; }
    // The live slot that `handle` names, or none (stale, freed, forged or another ledger's).
    slot_number slot_of(std::uint64_t handle) const noexcept {
        const auto at = static_cast<slot_number>(handle);
        const auto generation = static_cast<std::uint32_t>(static_cast<std::uint32_t>(handle >> 32) - tag_);
        if (at >= entries_.size() || (generation & 1u) == 0 || entries_[at].generation != generation) return none;
        return at;
    }

    // The live slot whose allocation starts at `address`, or none; address_of(slot) is where a
    // live slot's allocation starts. Builds the address index on first use (O(live)); O(1)
    // expected after. Throws std::bad_alloc if the index cannot be built.
    template <class AddressOf>
    slot_number at_address(Offset address, const AddressOf& address_of) {
        if (!indexed_) build_address_index(address_of);
        found_cell_ = by_address_.find_cell(address, address_of);
        found_slot_ = found_cell_ == address_table::no_cell ? none : by_address_.slot_in(found_cell_);
        return found_slot_;
    }
    // As at_address, without building the index: O(live) until it exists. Never throws.
    template <class AddressOf>
    slot_number at_address(Offset address, const AddressOf& address_of) const noexcept {
        if (indexed_) return by_address_.find(address, address_of);
        for (std::size_t at = 0; at < entries_.size(); ++at) {
            if (is_live(at) && address_of(static_cast<slot_number>(at)) == address) return static_cast<slot_number>(at);
        }
        return none;
    }

    std::size_t size() const noexcept { return live_; }

    // Calls visit(slot, record) for every live allocation, in no particular order.
    template <class Visitor>
    void for_each(Visitor visit) const {
        for (std::size_t at = 0; at < entries_.size(); ++at) {
            if (is_live(at)) visit(static_cast<slot_number>(at), entries_[at].record);
        }
    }

    // Bytes of memory the ledger holds: its slots and, once built, its address index.
    std::size_t metadata_bytes() const noexcept {
        return entries_.capacity() * sizeof(entry) + (indexed_ ? by_address_.metadata_bytes() : 0);
    }

    // LG1 the free chain holds exactly the slots of even generation, each once; LG2 the live
    // count matches; LG3 once built, the address index maps exactly the live addresses, each to
    // its slot (so no two live allocations share an address). O(slots); throws std::logic_error.
    template <class AddressOf>
    void validate(const AddressOf& address_of) const {
        std::size_t chained = 0;
        for (slot_number at = free_; at != none; at = entries_[at].next_free) {
            if (at >= entries_.size() || ++chained > entries_.size()) broken("LG1", "the free chain runs off or loops");
            if (is_live(at)) broken("LG1", "live slot " + std::to_string(at) + " in the free chain");
        }
        if (chained + live_ != entries_.size()) broken("LG1", "slots are neither live nor chained");
        std::size_t live = 0;
        for (std::size_t at = 0; at < entries_.size(); ++at) {
            if (is_live(at)) ++live;
        }
        if (live != live_) broken("LG2", std::to_string(live) + " live slots, count " + std::to_string(live_));
        if (!indexed_) return;
        by_address_.for_each([&](slot_number at) {
            if (at >= entries_.size() || !is_live(at)) broken("LG3", "the address index names slot " + std::to_string(at));
        });
        by_address_.validate(address_of);
        if (by_address_.size() != live_) broken("LG3", "the address index holds " + std::to_string(by_address_.size()));
        for (std::size_t at = 0; at < entries_.size(); ++at) {
            const auto slot = static_cast<slot_number>(at);
            if (is_live(at) && by_address_.find(address_of(slot), address_of) != slot)
                broken("LG3", "address " + std::to_string(address_of(slot)) + " does not find its slot");
        }
    }

private:
    bool is_live(std::size_t at) const noexcept { return (entries_[at].generation & 1u) != 0; }

    // Takes slot `at`'s `address` out of the index, without a second probe when at_address just
    // found it (a free by address: find, release, remove).
    void unindex(slot_number at, Offset address) noexcept {
        if (at == found_slot_) {
            by_address_.erase_cell(found_cell_);
        } else {
            by_address_.erase(address, at);
        }
        found_slot_ = none;
    }

    // Ends the live slot `at` (its handles stop matching) and chains it first among the free ones.
    void free_slot(slot_number at) noexcept {
        entries_[at].generation += 1;
        entries_[at].next_free = free_;
        free_ = at;
        --live_;
    }

    // A slot past the others, of generation 0 (free). Throws std::bad_alloc, adding none.
    [[gnu::noinline]] slot_number new_slot() {
        if (entries_.size() >= none) throw std::bad_alloc();  // 32-bit slot numbers are exhausted
        room_for_one_more(entries_);
        entries_.emplace_back();
        return static_cast<slot_number>(entries_.size() - 1);
    }

    template <class AddressOf>
    void build_address_index(const AddressOf& address_of) {
        address_table index;
        index.reserve(live_);
        for (std::size_t at = 0; at < entries_.size(); ++at) {
            const auto slot = static_cast<slot_number>(at);
            if (is_live(at)) index.insert(address_of(slot), slot);
        }
        by_address_ = std::move(index);
        indexed_ = true;
    }

    [[noreturn]] static void broken(const char* invariant, const std::string& detail) {
        throw std::logic_error(std::string("heapkit::allocation_ledger invariant ") + invariant + " broken: " + detail);
    }

    std::vector<entry> entries_;     // live and free slots
    address_table by_address_;       // address -> slot, once indexed_
    slot_number free_ = none;        // first free slot, chained through entry::next_free
    std::size_t live_ = 0;           // live slots
    std::uint32_t tag_;              // added to every handle's generation
    bool indexed_ = false;           // whether by_address_ is kept
    slot_number found_slot_ = none;  // the slot at_address found last, while its cell is unmoved
    std::size_t found_cell_ = 0;     // and its cell
};

}  // namespace heapkit::detail
