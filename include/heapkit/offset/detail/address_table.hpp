// SPDX-License-Identifier: MIT
// heapkit::detail::address_table: which slot of an allocation ledger holds the allocation starting
// at an address. A cell is 8 bytes, a 32-bit hash of the address and the 32-bit slot number; the
// address itself is not stored but read from the slot to confirm a match ("keyed through the
// slot"), so the table costs 21 to 43 bytes per entry at its load of 3/16 to 3/8, half of what a
// map that stores the keys takes at that load. Open addressing with linear probing and
// backward-shift deletion (letting the load reach 1/2 made a find+erase+insert 2.5x slower at
// 1k entries, 67 against 27 ns: longer runs to probe and to shift);
// the home of a cell follows from its hash alone, so entries move without reading their slots.
// find, insert and erase are O(1) expected.
#pragma once

#include <cstddef>
#include <cstdint>
#include <new>
#include <stdexcept>
#include <string>
#include <vector>

#include "heapkit/offset/detail/linear_probing.hpp"
#include "heapkit/offset/units.hpp"

namespace heapkit::detail {

class address_table {
public:
    using slot_number = std::uint32_t;
    static constexpr slot_number none = ~slot_number{0};  // an empty cell

    address_table() : cells_(minimum_cells, cell{0, none}) {}

    // The slot holding `address`, or none; address_of(slot) is the address a slot holds.
    template <class AddressOf>
    slot_number find(Offset address, const AddressOf& address_of) const noexcept {
        const std::size_t at = find_cell(address, address_of);
        return at == no_cell ? none : cells_[at].slot;
    }

    // Where `address` is filed, or no_cell: valid until the next insert or erase.
    static constexpr std::size_t no_cell = ~std::size_t{0};
    template <class AddressOf>
    std::size_t find_cell(Offset address, const AddressOf& address_of) const noexcept {
        const std::uint32_t hash = hash_of(address);
        for (std::size_t at = home(hash);; at = next(at)) {
            const cell here = cells_[at];
            if (here.slot == none) return no_cell;
            if (here.hash == hash && address_of(here.slot) == address) return at;
        }
    }

    // Makes room for `count` entries in all, so that inserting up to that many cannot throw.
    [[gnu::always_inline]] void reserve(std::size_t count) {
        if (over_load(count)) [[unlikely]]
            grow_for(count);
    }

    // Adds `address` (absent) held by `slot`. Strong guarantee: if growing throws, nothing changed.
    [[gnu::always_inline]] void insert(Offset address, slot_number slot) {
        reserve(count_ + 1);
        place({hash_of(address), slot});
        ++count_;
    }

    // Removes the entry of `address` held by `slot` (present) and shifts later cells of its probe
    // run back. Reads no slot: the entry is told by its hash and slot number.
    void erase(Offset address, slot_number slot) noexcept { erase_cell(cell_of(address, slot)); }
    // Removes the entry in cell `hole` (from find_cell, no insert or erase since).
    [[gnu::always_inline]] void erase_cell(std::size_t hole) noexcept {
        hole = shift_back(
            cells_, hole, [](const cell& here) { return here.slot == none; },
            [this](const cell& here) { return home(here.hash); });
        cells_[hole].slot = none;
        --count_;
    }

    // The entry of `address` held by `from` (present) now names `to`. Reads no slot.
    void rename(Offset address, slot_number from, slot_number to) noexcept { cells_[cell_of(address, from)].slot = to; }

    slot_number slot_in(std::size_t at) const noexcept { return cells_[at].slot; }
    std::size_t size() const noexcept { return count_; }
    std::size_t metadata_bytes() const noexcept { return cells_.capacity() * sizeof(cell); }

    // Calls visit(slot) for every entry.
    template <class Visitor>
    void for_each(Visitor visit) const {
        for (const cell& here : cells_) {
            if (here.slot != none) visit(here.slot);
        }
    }

    // AT1 every cell is reachable from its home without crossing an empty cell and its hash is
    // that of its slot's address, AT2 the count matches the occupied cells, AT3 the load stays at
    // most 3/8. O(cells); throws std::logic_error.
    template <class AddressOf>
    void validate(const AddressOf& address_of) const {
        std::size_t occupied = 0;
        for (std::size_t at = 0; at < cells_.size(); ++at) {
            if (cells_[at].slot == none) continue;
            ++occupied;
            if (hash_of(address_of(cells_[at].slot)) != cells_[at].hash) broken("AT1", "cell " + std::to_string(at));
            for (std::size_t probe = home(cells_[at].hash); probe != at; probe = next(probe)) {
                if (cells_[probe].slot == none) broken("AT1", "slot " + std::to_string(cells_[at].slot) + " cut off");
            }
        }
        if (occupied != count_) broken("AT2", std::to_string(occupied) + " occupied cells, count " + std::to_string(count_));
        if (over_load(count_)) broken("AT3", "load above 3/8");
    }

private:
    struct cell {
        std::uint32_t hash;  // hash_of the slot's address
        slot_number slot;    // none when the cell is empty
    };
    static constexpr std::size_t minimum_cells = 16;  // a power of two

    [[noreturn]] static void broken(const char* invariant, const std::string& detail) {
        throw std::logic_error(std::string("heapkit::address_table invariant ") + invariant + " broken: " + detail);
    }

    // The top half of address * 2^64/phi: every bit of the address reaches it, and consecutive
    // addresses land far apart (Fibonacci hashing).
    static std::uint32_t hash_of(Offset address) noexcept {
        return static_cast<std::uint32_t>((address * 0x9E3779B97F4A7C15ULL) >> 32);
    }
    std::size_t home(std::uint32_t hash) const noexcept { return hash >> shift_; }
    std::size_t next(std::size_t at) const noexcept { return (at + 1) & (cells_.size() - 1); }
    static bool over_load(std::size_t count, std::size_t cells) noexcept { return count * 8 > cells * 3; }
    bool over_load(std::size_t count) const noexcept { return over_load(count, cells_.size()); }

    // The cell of the entry (address, slot), which is present.
    std::size_t cell_of(Offset address, slot_number slot) const noexcept {
        const std::uint32_t hash = hash_of(address);
        std::size_t at = home(hash);
        while (cells_[at].slot != slot || cells_[at].hash != hash) at = next(at);
        return at;
    }

    void place(cell fresh) noexcept {
        std::size_t at = home(fresh.hash);
        while (cells_[at].slot != none) at = next(at);
        cells_[at] = fresh;
    }

    // Doubles the cells until `count` entries fit (the load at most 3/8). Strong guarantee.
    [[gnu::noinline]] void grow_for(std::size_t count) {
        std::size_t cells = cells_.size();
        unsigned shift = shift_;
        while (over_load(count, cells)) {
            if (shift == 0) throw std::bad_alloc();  // 2^32 cells: 32-bit slot numbers fill them first
            cells *= 2;
            shift -= 1;
        }
        std::vector<cell> old(cells, cell{0, none});  // may throw: nothing changed yet
        old.swap(cells_);
        shift_ = shift;
        for (const cell& here : old) {
            if (here.slot != none) place(here);
        }
    }

    std::vector<cell> cells_;  // a power of two of them, at most 2^32
    std::size_t count_ = 0;    // occupied cells
    unsigned shift_ = 32 - 4;  // 32 - log2(cells_.size())
};

}  // namespace heapkit::detail
