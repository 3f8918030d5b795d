// SPDX-License-Identifier: MIT
// heapkit::basic_memory_allocator<Index>: the checked facade over a free-space index. It decides
// whether a call is legal (the error model of docs/PROTOCOL.md, in the seed's order of checks), keeps the
// ledger of live allocations and their owners, and asks the index where blocks go.
// heapkit::MemoryAllocator is the seed's class: this facade over the seed's free_list.
// Two ways to name an allocation: its address (the seed's API, free(address, size)), or the
// generation-checked handle that allocate_handle returns (free(handle), no hash; see
// detail/allocation_ledger.hpp). Both are checked and both may be used on one allocator.
// Placement may be constrained (placement_constraints.hpp) or at a chosen address (list, tree),
// and a free may be deferred until its epoch completes (free_after, complete). With list and tree
// the managed range may grow and shrink after construction, and have gaps (add_span, remove_span).
// Cost: the index's find/take/release plus O(1) for the ledger (expected, by address).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <new>
#include <optional>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "heapkit/offset/block_walk.hpp"
#include "heapkit/offset/detail/allocation_ledger.hpp"
#include "heapkit/offset/detail/messages.hpp"
#include "heapkit/offset/detail/offset_map.hpp"
#include "heapkit/offset/detail/span_set.hpp"
#include "heapkit/offset/error.hpp"
#include "heapkit/offset/fit.hpp"
#include "heapkit/offset/free_list.hpp"
#include "heapkit/offset/free_space_index.hpp"
#include "heapkit/offset/placement_constraints.hpp"
#include "heapkit/offset/units.hpp"

namespace heapkit {

// A live allocation as the ledger records it.
struct allocation {
    Offset address;              // where it starts
    Size size;                   // units it holds, > 0
    std::optional<Owner> owner;  // the owner tag it was allocated for, if any
    Size alignment = 1;          // what it was placed for: address is a multiple of it (compaction keeps it)
    friend bool operator==(const allocation&, const allocation&) = default;
};

// An opaque name for one live allocation, from allocate_handle. It stays valid while the
// allocation lives, also when reallocate or relocate move it, and is refused once it is freed.
struct allocation_handle {
    std::uint64_t bits;  // a slot number and its generation; print and parse it as a whole
    friend bool operator==(allocation_handle, allocation_handle) = default;
};

// What allocate_handle returns: where the allocation starts and the handle that frees it.
struct handled_allocation {
    Offset address;
    allocation_handle handle;
    friend bool operator==(handled_allocation, handled_allocation) = default;
};

// What explain() tells of a request: where allocate would place it, or the error it would raise.
struct explanation {
    errc kind;                      // ok when it fits
    std::optional<Offset> address;  // where allocate would place it, when it fits
    std::string reason;             // allocate's message when it does not fit, else empty
};

// The epoch of a deferred free: a number the consumer of the memory (a GPU queue, a DMA engine)
// counts up; complete(e) says every use up to e is finished.
using Epoch = std::uint64_t;

// Asks for an allocator that manages no unit yet: add_span gives it its memory.
struct no_spans_t {
    explicit no_spans_t() = default;
};
inline constexpr no_spans_t no_spans{};

template <free_space_index Index>
class basic_memory_allocator {
public:
    using index_type = Index;
    // Whether `fit` chooses the placement (list, tree) or the index's own rule does (tlsf, buddy).
    static constexpr bool places_by_fit = Index::places_by_fit;
    // Whether the index can name the free block at an address and places by fit (list, tree):
    // what allocate_at and relocate need, and an index that honours fit_request::wanted.
    static constexpr bool names_blocks = places_by_fit && requires(const Index& index) { index.block_starting_at(Offset{}); };
    // Whether the index's find heeds fit_request::wanted (list, tree, tlsf): what constrained
    // placement and explain need.
    static constexpr bool honours_constraints = requires { requires Index::honours_constraints; };

    // All of [0, capacity) free: one span. Throws invalid_size when capacity is 0. Further
    // arguments go to the index's constructor (a pool's block size, say).
    template <class... IndexArguments>
    explicit basic_memory_allocator(Size capacity, Fit fit = Fit::first, IndexArguments&&... index_arguments)
        : index_(index_range(checked_capacity(capacity)), fit, std::forward<IndexArguments>(index_arguments)...),
          spans_(capacity),
          fit_(fit) {
        if constexpr (names_blocks) take_out_of_index(capacity, universe - capacity);
    }
    // No span at all (capacity 0): nothing can be allocated until add_span. List and tree.
    explicit basic_memory_allocator(no_spans_t, Fit fit = Fit::first) requires names_blocks : index_(universe, fit), fit_(fit) {
        take_out_of_index(0, universe);
    }

    // --- allocation -------------------------------------------------------------------------
    // The address of `size` units aligned to `alignment`, placed by the policy. Throws
    // invalid_size (size 0), invalid_alignment (not a power of two), out_of_memory (no block
    // fits; the message says exhausted or fragmented). Cost: the index's find.
    Offset allocate(Size size, Size alignment = 1) { return address_of(allocate_or_throw(size, alignment, std::nullopt)); }
    // As allocate, tagging the block with `owner` so that free_owner(owner) can free it.
    Offset allocate_for(Owner owner, Size size, Size alignment = 1) {
        return address_of(allocate_or_throw(size, alignment, owner));
    }
    // As allocate, returning the address and a handle for free(handle).
    handled_allocation allocate_handle(Size size, Size alignment = 1) {
        return handled(allocate_or_throw(size, alignment, std::nullopt));
    }
    // As allocate, returning the error kind instead of throwing (out_of_memory also when the
    // metadata cannot grow).
    result<Offset> try_allocate(Size size, Size alignment = 1) noexcept {
        return try_place<Offset>(size, alignment, std::nullopt, [&](slot_number at) { return address_of(at); });
    }
    result<Offset> try_allocate_for(Owner owner, Size size, Size alignment = 1) noexcept {
        return try_place<Offset>(size, alignment, owner, [&](slot_number at) { return address_of(at); });
    }
    result<handled_allocation> try_allocate_handle(Size size, Size alignment = 1) noexcept {
        return try_place<handled_allocation>(size, alignment, std::nullopt, [&](slot_number at) { return handled(at); });
    }

    // --- constrained placement (list, tree, tlsf), placement at an address (list, tree) ---------
    // The address of `size` units that satisfies `wanted`: the policy picks among the free blocks
    // that hold a satisfying address (first: the lowest; next: from the rover; best: the smallest
    // block; worst: the largest; lowest address on ties; tlsf: its good fit, and it fails only
    // when no free block holds one) and the allocation starts at the lowest such address of that
    // block. Throws invalid_size, invalid_alignment, invalid_constraint (see
    // constraint_error), out_of_memory (the message also counts the free blocks large enough that
    // each constraint refused). Compaction later keeps the alignment the address implies, and a
    // reallocate that moves the block places it by its own alignment argument: neither keeps the
    // phase, boundary or window. Cost: the index's find when `wanted` asks only an
    // alignment; else the index's search with the constraints as its test of a block (for the
    // tree, each near miss costs O(log n); for tlsf, a search of its classes).
    Offset allocate(Size size, const constraints& wanted) requires honours_constraints {
        const result<slot_number> placed = place_constrained(size, wanted);
        if (!placed) throw_error(placed.error(), constrained_failure(placed.error(), size, wanted));
        return address_of(*placed);
    }
    result<Offset> try_allocate(Size size, const constraints& wanted) noexcept requires honours_constraints {
        return guarded([&]() -> result<Offset> {
            const result<slot_number> placed = place_constrained(size, wanted);
            if (!placed) return placed.error();
            return address_of(*placed);
        });
    }
    // Where allocate(size, wanted) would place the request, or the error it would raise and why,
    // changing nothing. Cost: allocate's search, and a walk of the free blocks when it fails.
    explanation explain(Size size, const constraints& wanted) const requires honours_constraints {
        if (const errc kind = constraint_error(size, wanted); kind != errc::ok)
            return {kind, std::nullopt, constrained_failure(kind, size, wanted)};
        if (const std::optional<placement> chosen = find_constrained(size, wanted)) return {errc::ok, chosen->address, {}};
        return {errc::out_of_memory, std::nullopt, constrained_failure(errc::out_of_memory, size, wanted)};
    }
    // Allocates exactly [address, +size). Checks as free(address, size) does (invalid_address,
    // invalid_size, invalid_address), then out_of_memory when a unit of the range is not free
    // (the message names the allocation, or the deferred free, in the way). The rover stays.
    // Cost: the free block holding the address, found by the index or a walk of the free blocks.
    Offset allocate_at(Offset address, Size size) requires names_blocks {
        const result<slot_number> placed = place_at(address, size);
        if (!placed) throw_error(placed.error(), at_failure(placed.error(), address, size));
        return address;
    }
    result<Offset> try_allocate_at(Offset address, Size size) noexcept requires names_blocks {
        return guarded([&]() -> result<Offset> {
            const result<slot_number> placed = place_at(address, size);
            if (!placed) return placed.error();
            return address;
        });
    }

    // --- spans (list, tree) -------------------------------------------------------------------
    // Adds the free units [start, +size) to the managed range, which may leave a gap before or
    // after them; they merge with the free units of a span they touch, and an allocation may then
    // cover both. Throws invalid_size (size 0), invalid_address (the range passes 2^64 - 1, where no
    // span may reach, or shares a unit with a span, which the message names). Cost: the index's
    // release plus O(spans).
    void add_span(Offset start, Size size) requires names_blocks {
        if (const errc kind = add_span_checked(start, size); kind != errc::ok)
            throw_error(kind, detail::span_message(kind, "add", start, size, span_context(start, size)));
    }
    errc try_add_span(Offset start, Size size) noexcept requires names_blocks {
        return guarded([&] { return add_span_checked(start, size); });
    }
    // Takes the units [start, +size) out of the managed range; they must lie inside one span
    // (spans that touch are one) and be wholly free. Throws invalid_size (size 0),
    // invalid_address (a unit of the range is in no span), invalid_free (a unit is allocated, or
    // waits for a deferred free; the message names the lowest such allocation), and then nothing
    // changed. Cost: the free block holding the range, found as allocate_at finds it, plus O(spans).
    void remove_span(Offset start, Size size) requires names_blocks {
        if (const errc kind = remove_span_checked(start, size); kind != errc::ok)
            throw_error(kind, detail::span_message(kind, "remove", start, size, span_context(start, size)));
    }
    errc try_remove_span(Offset start, Size size) noexcept requires names_blocks {
        return guarded([&] { return remove_span_checked(start, size); });
    }
    // The managed ranges, as maximal runs in address order ([0, capacity) unless spans changed it).
    const std::vector<free_block>& spans() const noexcept { return spans_.runs(); }
    // Whether the managed range is anything but [0, capacity): a gap, or units taken from the front.
    bool has_gaps() const noexcept { return !spans_.contiguous_from_zero(); }
    // One past the highest unit of any span (capacity() when there is no gap).
    Offset address_limit() const noexcept { return spans_.end(); }

    // --- deallocation -----------------------------------------------------------------------
    // Frees the allocation of `size` units at `address`, merging with free neighbours. Checks in
    // the seed's order: invalid_address (address outside), invalid_size (size 0),
    // invalid_address (range past the end), invalid_free (no allocation of exactly that size
    // starts there: double free, wrong size, interior address). Cost: the index's release.
    void free(Offset address, Size size) {
        if (const errc kind = free_checked(address, size); kind != errc::ok) {
            throw_error(kind, detail::free_message(kind, address, size, context(address)));
        }
    }
    // Frees the allocation at `address`, taking its size from the ledger.
    void free(Offset address) {
        if (const errc kind = free_checked(address, std::nullopt); kind != errc::ok) {
            throw_error(kind, detail::free_message(kind, address, std::nullopt, context(address)));
        }
    }
    errc try_free(Offset address, Size size) noexcept {
        return guarded([&] { return free_checked(address, size); });
    }
    errc try_free(Offset address) noexcept {
        return guarded([&] { return free_checked(address, std::nullopt); });
    }
    // Frees the allocation `handle` names. Throws invalid_free, and changes nothing, when it names
    // none: already freed (a double free or a stale copy), never handed out, or another
    // allocator's. O(1): the index's release, no hash.
    void free(allocation_handle handle) {
        if (const errc kind = try_free(handle); kind != errc::ok) {
            throw_error(kind, "cannot free handle " + std::to_string(handle.bits) +
                                  ": it names no live allocation of this allocator (freed already, or never handed out)");
        }
    }
    errc try_free(allocation_handle handle) noexcept {
        return guarded([&] {
            const slot_number at = ledger_.slot_of(handle.bits);
            if (at == ledger_type::none) return errc::invalid_free;
            release(at, address_of(at));
            return errc::ok;
        });
    }
    // The live allocation `handle` names, if any. O(1).
    std::optional<allocation> allocation_of(allocation_handle handle) const {
        const slot_number at = ledger_.slot_of(handle.bits);
        if (at == ledger_type::none) return std::nullopt;
        return as_allocation(address_of(at), ledger_[at].record);
    }

    // --- deferred frees ----------------------------------------------------------------------
    // Checks as free(address, size) does and takes the allocation out of the ledger (its address
    // and handle are refused from now on, as after a free), but its units stay taken, so that no
    // allocation reuses them, until complete(e) for an epoch e >= `epoch`. O(log queued).
    void free_after(Offset address, Size size, Epoch epoch) {
        if (const errc kind = free_checked(address, size, epoch); kind != errc::ok) {
            throw_error(kind, detail::free_message(kind, address, size, context(address)));
        }
    }
    errc try_free_after(Offset address, Size size, Epoch epoch) noexcept {
        return guarded([&] { return free_checked(address, size, epoch); });
    }
    // Carries out every free queued for an epoch up to `epoch`, merging as free does, and returns
    // the units it gave back (0 when none waited). If the metadata cannot grow midway
    // (std::bad_alloc), what was given back stays so and the rest stays queued.
    Size complete(Epoch epoch) {
        Size released = 0;
        while (!queued_.empty() && queued_.begin()->first <= epoch) {
            const auto oldest = queued_.begin();
            const queued_free& waiting = oldest->second;
            index_.release(waiting.held, waiting.address, waiting.size);
            queued_memory_ -= waiting.reserved;
            released += waiting.reserved;
            queued_.erase(oldest);
        }
        return released;
    }
    // Units whose free waits for an epoch to complete.
    Size queued_memory() const noexcept { return queued_memory_; }
    std::size_t queued_count() const noexcept { return queued_.size(); }

    // Frees every allocation tagged with `owner` and returns the units freed (0 when it has none).
    // If the metadata cannot grow midway (std::bad_alloc), what was freed stays freed.
    Size free_owner(Owner owner) {
        const auto found = owned_.find(owner);
        if (found == owned_.end()) return 0;
        const std::vector<Offset> owned_addresses(found->second.begin(), found->second.end());
        Size freed = 0;
        for (Offset address : owned_addresses) {
            const slot_number at = ledger_.at_address(address, addresses());
            freed += size_of(ledger_[at].record);
            release(at, address);
        }
        return freed;
    }

    // --- resizing ---------------------------------------------------------------------------
    // Resizes the allocation at `address` to `new_size` units and returns where it now starts.
    // Shrinking is always in place (the tail is freed). Growing is in place when the address is
    // aligned to `alignment` and the index can extend the block (the free block right after it
    // has room; for buddy, the block it already holds has); otherwise
    // the allocation moves to a block the policy picks while the old one is still live (so the
    // two never overlap: copy, then forget the old address) and the old block is freed. The owner
    // tag is kept. Throws invalid_address, invalid_size, invalid_alignment, invalid_free (no
    // allocation starts there), out_of_memory; a failed call changes nothing.
    Offset reallocate(Offset address, Size new_size, Size alignment = 1) {
        const result<Offset> moved = reallocate_checked(address, new_size, alignment);
        if (!moved) {
            throw_error(moved.error(), detail::reallocate_message(moved.error(), address, new_size, alignment, context(address)));
        }
        return *moved;
    }
    result<Offset> try_reallocate(Offset address, Size new_size, Size alignment = 1) noexcept {
        return guarded([&] { return reallocate_checked(address, new_size, alignment); });
    }

    // --- compaction ----------------------------------------------------------------------------
    // Moves the allocation at `from` to `to`, keeping its size, alignment and owner tag; [to,
    // +size) must be free once the allocation has left `from` (the two ranges may overlap, as
    // memmove's may). Copies nothing: the caller moves the contents (see compaction.hpp). Throws
    // invalid_free (no allocation starts at `from`) or invalid_address (the destination is
    // outside, not free, or not a multiple of the allocation's alignment), and then nothing
    // changed (std::bad_alloc from the index's metadata leaves the allocation freed). Cost: the
    // index's release and take, plus a walk of the free blocks when `to` is not the start of one.
    // For indexes that can name the free block starting at an address (list, tree).
    Offset relocate(Offset from, Offset to) requires names_blocks {
        const slot_number at = ledger_.at_address(from, addresses());
        if (at == ledger_type::none) throw_error(errc::invalid_free, "relocate: no allocation starts at " + std::to_string(from));
        const Size size = size_of(ledger_[at].record);
        if (range_error(to, size) != errc::ok)
            throw_error(errc::invalid_address,
                        "relocate: [" + std::to_string(to) + ", +" + std::to_string(size) + ") is outside the spans");
        const Size alignment = alignment_of(from);
        if (alignment_padding(to, alignment) != 0)
            throw_error(errc::invalid_address, "relocate: " + std::to_string(to) +
                                                   " is not a multiple of the allocation's alignment " +
                                                   std::to_string(alignment));
        if (to == from) return to;
        const std::optional<Owner> owner = owner_of(from);
        release_block(at, from);
        std::optional<placement> target = free_block_holding(to, size);
        const Offset destination = target ? to : from;
        if (!target) target = free_block_holding(from, size);  // just released, so it is free
        ledger_.readdress(at, from, destination);              // the slot, and so the handle, follows the allocation
        try {
            take_into(at, *target, destination, size, owner, alignment);
        } catch (...) {
            ledger_.remove(at, destination);
            throw;
        }
        if (destination != to)
            throw_error(errc::invalid_address,
                        "relocate: [" + std::to_string(to) + ", +" + std::to_string(size) + ") is not free");
        return to;
    }

    // --- statistics, O(1) unless noted ------------------------------------------------------
    // Units the spans hold: the capacity the allocator was made with, unless spans changed it.
    Size capacity() const noexcept { return spans_.total(); }
    Fit fit() const noexcept { return fit_; }
    // Units the live allocations asked for.
    Size used_memory() const noexcept { return used_memory_; }
    // Units no allocation holds and no deferred free waits for: capacity - reserved - queued.
    Size free_memory() const noexcept { return spans_.total() - reserved_memory_ - queued_memory_; }
    // Units the live allocations hold, at least used_memory(): an index that rounds requests up
    // (buddy) reserves more than was asked for.
    Size reserved_memory() const noexcept { return reserved_memory_; }
    Size largest_free_block() const noexcept { return index_.largest_free_block(); }  // the index's cost
    std::size_t free_block_count() const noexcept { return index_.free_block_count(); }
    std::size_t allocation_count() const noexcept { return ledger_.size(); }
    // 1 - largest_free_block / free_memory: 0 when the free space is one block (or none), near
    // 1 when it is scattered in small pieces. The index's cost for largest_free_block.
    double external_fragmentation() const noexcept {
        const Size free_units = free_memory();
        if (free_units == 0) return 0.0;
        return 1.0 - static_cast<double>(largest_free_block()) / static_cast<double>(free_units);
    }

    // 1 - used / reserved: the share of held units that nobody asked for (0 when nothing is held).
    double internal_fragmentation() const noexcept {
        if (reserved_memory_ == 0) return 0.0;
        return 1.0 - static_cast<double>(used_memory_) / static_cast<double>(reserved_memory_);
    }

    // The free blocks in address order (a range of free_block). Walks the index.
    auto free_blocks() const noexcept { return index_.blocks(); }
    // The live allocations in address order. O(a log a) for a allocations.
    std::vector<allocation> allocations() const {
        std::vector<allocation> live;
        live.reserve(ledger_.size());
        ledger_.for_each(
            [&](slot_number at, const ledger_record& record) { live.push_back(as_allocation(address_of(at), record)); });
        std::sort(live.begin(), live.end(), [](const allocation& a, const allocation& b) { return a.address < b.address; });
        return live;
    }
    // The live allocation starting at `address`, if any. O(1) expected once an address has
    // been looked up (a free, reallocate or relocate by address); O(allocations) before that.
    std::optional<allocation> allocation_at(Offset address) const {
        const slot_number at = ledger_.at_address(address, addresses());
        if (at == ledger_type::none) return std::nullopt;
        return as_allocation(address, ledger_[at].record);
    }
    // Calls visit(state, start, size) for every allocation (the units it holds) and free block
    // in address order; units a deferred free waits for are shown as allocated. O(n log n).
    template <class Visitor>
    void for_each_block(Visitor visit) const {
        std::vector<free_block> held;
        held.reserve(ledger_.size() + queued_.size());
        ledger_.for_each([&](slot_number at, const ledger_record& record) {
            held.push_back({address_of(at), reserved_units(record)});
        });
        for (const auto& [epoch, waiting] : queued_) held.push_back({waiting.address, waiting.reserved});
        std::sort(held.begin(), held.end(), [](const free_block& a, const free_block& b) { return a.start < b.start; });
        walk_blocks(held, index_.blocks(), visit);
    }
    const Index& index() const noexcept { return index_; }
    // Bytes of memory the index and the ledger hold for their bookkeeping (the owner and
    // alignment maps included), what a user would count against the managed range's metadata.
    std::size_t metadata_bytes() const noexcept {
        std::size_t bytes = index_.metadata_bytes() + ledger_.metadata_bytes();
        if (owners_.size() != 0) bytes += owners_.metadata_bytes();
        if (alignments_.size() != 0) bytes += alignments_.metadata_bytes();
        return bytes;
    }

    // Checks the index's, the ledger's and the spans' invariants and the facade's: MA1 the free
    // blocks add up to capacity - reserved - queued, MA2 the ledger adds up to used and reserved,
    // MA3 allocations and free blocks tile the spans without overlap, MA4 the owner index matches the
    // ledger, MA5 the rover is inside the index's range, MA6 every recorded alignment is a power of
    // two above 1 of a live allocation whose address is a multiple of it, MA7 the queued frees
    // add up to queued_memory(). O(n log n); throws std::logic_error.
    void validate() const {
        index_.validate();
        ledger_.validate(addresses());
        spans_.validate();
        Size free_units = 0;
        for (const free_block block : index_.blocks()) free_units += block.size;
        if (free_units != free_memory()) broken("MA1", "free blocks hold " + std::to_string(free_units) + " units");
        Size used_units = 0;
        Size reserved_units_total = 0;
        std::unordered_set<Offset> live;  // so that MA4 and MA6 need not build the address table
        ledger_.for_each([&](slot_number at, const ledger_record& record) {
            const Offset address = address_of(at);
            live.insert(address);
            used_units += size_of(record);
            reserved_units_total += reserved_units(record);
            if (size_of(record) == 0 || reserved_units(record) < size_of(record))
                broken("MA2", "record at " + std::to_string(address));
        });
        owners_.validate();
        owners_.for_each([&](Offset address, Owner owner) {
            const auto addresses = owned_.find(owner);
            if (!live.contains(address) || addresses == owned_.end() || !addresses->second.contains(address))
                broken("MA4", "owner of " + std::to_string(address));
        });
        const std::size_t owned_count = owners_.size();
        if (used_units != used_memory_ || reserved_units_total != reserved_memory_) {
            broken("MA2", "ledger holds " + std::to_string(used_units) + " units in " + std::to_string(reserved_units_total));
        }
        std::size_t indexed_count = 0;
        for (const auto& [owner, addresses] : owned_) indexed_count += addresses.size();
        if (indexed_count != owned_count) broken("MA4", "owner index holds stale addresses");
        Size queued_units = 0;
        for (const auto& [epoch, waiting] : queued_) {
            queued_units += waiting.reserved;
            if (waiting.size == 0 || waiting.reserved < waiting.size)
                broken("MA7", "queued free at " + std::to_string(waiting.address));
        }
        if (queued_units != queued_memory_) broken("MA7", "queued frees hold " + std::to_string(queued_units) + " units");
        tiling_check tiles(spans_.runs(), "memory_allocator", "MA3");
        for_each_block(std::ref(tiles));
        tiles.finish();
        if (rover_ > index_universe()) broken("MA5", "rover " + std::to_string(rover_) + " past the index's range");
        alignments_.validate();
        alignments_.for_each([&](Offset address, Size alignment) {
            if (!live.contains(address) || alignment < 2 || !is_power_of_two(alignment) || address % alignment != 0)
                broken("MA6", "alignment " + std::to_string(alignment) + " recorded at " + std::to_string(address));
        });
    }

private:
    using index_handle = typename Index::handle;

    // What the ledger keeps per live allocation: the index's handle, and the address and the units
    // asked for unless the index tells them from the handle (tlsf: its node), so that a slot is 8
    // bytes for tlsf (24 for list and tree). Owner tags live apart, in owners_: most allocations
    // have none.
    static constexpr bool index_knows_blocks = requires(const Index& index, const index_handle& held) {
        { index.allocated_size(held) } -> std::same_as<Size>;
        { index.allocated_address(held) } -> std::same_as<Offset>;
    };
    struct located_record {
        Offset address;                           // where the allocation starts
        Size size;                                // units asked for
        [[no_unique_address]] index_handle held;  // what the index remembers about the block
    };
    struct handle_record {
        index_handle held;  // what the index remembers about the block, its address and size included
    };
    using ledger_record = std::conditional_t<index_knows_blocks, handle_record, located_record>;
    using ledger_type = detail::allocation_ledger<ledger_record>;
    using slot_number = typename ledger_type::slot_number;

    handled_allocation handled(slot_number at) const noexcept { return {address_of(at), {ledger_.handle_of(at)}}; }

    // Where the allocation of the live slot `at` starts.
    Offset address_of(slot_number at) const noexcept {
        if constexpr (index_knows_blocks) {
            return index_.allocated_address(ledger_[at].record.held);
        } else {
            return ledger_[at].record.address;
        }
    }
    // address_of as the ledger's calls that look addresses up take it.
    auto addresses() const noexcept {
        return [this](slot_number at) { return address_of(at); };
    }

    // A free that waits for its epoch: the block stays taken in the index.
    struct queued_free {
        Offset address;
        Size size;      // units asked for
        Size reserved;  // units the block holds
        index_handle held;
    };

    // place(), never throwing, with the placed slot told as `answer(slot)` says.
    template <class Answer, class Tell>
    result<Answer> try_place(Size size, Size alignment, std::optional<Owner> owner, Tell answer) noexcept {
        return guarded([&]() -> result<Answer> {
            const result<slot_number> placed = place(size, alignment, owner);
            if (!placed) return placed.error();
            return answer(*placed);
        });
    }

    // Units the allocation asked for.
    Size size_of(const ledger_record& record) const noexcept {
        if constexpr (index_knows_blocks) {
            return index_.allocated_size(record.held);
        } else {
            return record.size;
        }
    }

    std::optional<Owner> owner_of(Offset address) const noexcept {
        if (owners_.size() == 0) return std::nullopt;
        const auto* found = owners_.find(address);
        return found == nullptr ? std::nullopt : std::optional<Owner>(found->value);
    }

    // The alignment the allocation at `address` was placed for (1 unless alignments_ says more).
    Size alignment_of(Offset address) const noexcept {
        if (alignments_.size() == 0) return 1;
        const auto* found = alignments_.find(address);
        return found == nullptr ? 1 : found->value;
    }

    allocation as_allocation(Offset address, const ledger_record& record) const {
        return {address, size_of(record), owner_of(address), alignment_of(address)};
    }

    // Units the allocation holds: what the index reserved for it, if it rounds requests up.
    Size reserved_units(const ledger_record& record) const noexcept {
        if constexpr (requires { index_.reserved(record.held, Size{}); }) {
            return index_.reserved(record.held, size_of(record));
        } else {
            return size_of(record);
        }
    }

    // The units an index with named blocks manages: every address up to 2^64 - 1, so that spans
    // may be added anywhere; the units outside the spans are taken from it, as allocations are.
    // Other indexes manage the capacity they are made with.
    static constexpr Size universe = ~Size{0};
    static constexpr Size index_range(Size capacity) noexcept { return names_blocks ? universe : capacity; }
    Size index_universe() const noexcept { return names_blocks ? universe : spans_.total(); }

    // Has the index take [start, +size), free in the index and outside every span (size 0: nothing).
    void take_out_of_index(Offset start, Size size) {
        if (size == 0) return;
        std::optional<placement> holder = free_block_holding(start, size);
        index_.take(*holder, size);
    }

    static Size checked_capacity(Size capacity) {
        if (capacity == 0) throw invalid_size("capacity must be positive, got 0");
        return capacity;
    }

    [[noreturn]] static void broken(const char* invariant, const std::string& detail) {
        throw std::logic_error(std::string("heapkit::memory_allocator invariant ") + invariant + " broken: " + detail);
    }

    // Runs `operation`, turning std::bad_alloc from the metadata into out_of_memory.
    template <class Operation>
    static auto guarded(Operation operation) noexcept -> decltype(operation()) {
        try {
            return operation();
        } catch (const std::bad_alloc&) {
            return errc::out_of_memory;
        }
    }

    // The state a message describes; `address` names the allocation the call was about.
    detail::failure_context context(std::optional<Offset> address = std::nullopt) const noexcept {
        const slot_number found = address ? ledger_.at_address(*address, addresses()) : ledger_type::none;
        detail::failure_context state{
            capacity(), free_memory(), largest_free_block(),
            found == ledger_type::none ? std::nullopt : std::optional<Size>(size_of(ledger_[found].record)), std::nullopt};
        state.gapped = has_gaps();
        if (address) state.span = span_around(*address);
        if (address && found == ledger_type::none) {  // O(queued), on the error path only
            for (const auto& [epoch, waiting] : queued_) {
                if (waiting.address == *address) state.queued_for = epoch;
            }
        }
        return state;
    }

    static errc request_error(Size size, Size alignment) noexcept {
        if (size == 0) return errc::invalid_size;
        if (!is_power_of_two(alignment)) return errc::invalid_alignment;
        return errc::ok;
    }

    // The free block holding [address, +size), as a placement at `address`, if there is one.
    std::optional<placement> free_block_holding(Offset address, Size size) const {
        std::optional<placement> found = index_.block_starting_at(address);
        if (!found) {
            for (const free_block block : index_.blocks()) {
                if (block.start > address) break;
                if (address - block.start < block.size) {
                    found = index_.block_starting_at(block.start);
                    break;
                }
            }
        }
        if (!found || found->block.start + found->block.size - address < size) return std::nullopt;
        found->address = address;
        return found;
    }

    [[gnu::always_inline]] std::optional<placement> find(Size size, Size alignment) const noexcept {
        if (size > free_memory()) return std::nullopt;  // O(1) failure when memory is exhausted
        return index_.find({size, alignment, rover_});
    }

    // The placement allocate(size, wanted) picks (a well-formed request), or nothing: the index's
    // own search, with the constraints as its test of a block.
    std::optional<placement> find_constrained(Size size, const constraints& wanted) const noexcept {
        if (asks_only_alignment(wanted, address_limit())) return find(size, wanted.alignment);
        if (size > free_memory()) return std::nullopt;
        return index_.find({size, wanted.alignment, rover_, &wanted});
    }

    result<slot_number> place_constrained(Size size, const constraints& wanted) {
        if (const errc kind = constraint_error(size, wanted); kind != errc::ok) return kind;
        const std::optional<placement> chosen = find_constrained(size, wanted);
        if (!chosen) return errc::out_of_memory;
        // The address is a multiple of the phase's lowest set bit (of the alignment when the
        // phase is 0): that much alignment is what compaction keeps.
        const Size kept_alignment = wanted.phase == 0 ? wanted.alignment : wanted.phase & (~wanted.phase + 1);
        const slot_number at = hold(*chosen, chosen->address, size, std::nullopt, kept_alignment);
        rover_ = chosen->address + size;
        return at;
    }

    // The message of a failed constrained allocate; for out_of_memory, a walk of the free blocks
    // counts those large enough that each constraint refused.
    std::string constrained_failure(errc kind, Size size, const constraints& wanted) const {
        detail::refusal_counts refused{};
        if (kind == errc::out_of_memory) {
            for (const free_block block : index_.blocks()) {
                const placement_answer answer = lowest_placement(block, size, wanted);
                if (!answer.address && answer.why != refusal::too_small) ++refused[static_cast<std::size_t>(answer.why)];
            }
        }
        return detail::constrained_allocate_message(kind, size, wanted, context(), refused);
    }

    result<slot_number> place_at(Offset address, Size size) {
        if (const errc kind = range_error(address, size); kind != errc::ok) return kind;
        const std::optional<placement> target = free_block_holding(address, size);
        if (!target) return errc::out_of_memory;
        return hold(*target, address, size, std::nullopt, 1);
    }

    // The message of a failed allocate_at; for out_of_memory it names the lowest allocation or
    // deferred free that overlaps the range. O(allocations + queued).
    std::string at_failure(errc kind, Offset address, Size size) const {
        return detail::allocate_at_message(kind, address, size, context(address),
                                           kind == errc::out_of_memory ? obstacle_in(address, size) : std::nullopt);
    }

    // The lowest allocation or deferred free that overlaps [address, +size). O(allocations + queued).
    std::optional<detail::obstacle> obstacle_in(Offset address, Size size) const {
        std::optional<detail::obstacle> in_way;
        const auto consider = [&](Offset start, Size held_units, std::optional<Epoch> epoch) {
            if (start < address + size && address < start + held_units && (!in_way || start < in_way->start))
                in_way = detail::obstacle{start, held_units, epoch};
        };
        ledger_.for_each(
            [&](slot_number at, const ledger_record& record) { consider(address_of(at), reserved_units(record), std::nullopt); });
        for (const auto& [epoch, waiting] : queued_) consider(waiting.address, waiting.reserved, epoch);
        return in_way;
    }

    // invalid_address unless [address, +size) lies inside one span; invalid_size for size 0,
    // checked between the two as the seed orders free's checks. O(1) with one span.
    errc range_error(Offset address, std::optional<Size> size) const noexcept {
        const free_block* span = spans_.holding(address);
        if (span == nullptr) return errc::invalid_address;
        if (size && *size == 0) return errc::invalid_size;
        if (size && *size > span->start + span->size - address) return errc::invalid_address;
        return errc::ok;
    }

    // The span holding `address`, if any.
    std::optional<free_block> span_around(Offset address) const noexcept {
        const free_block* span = spans_.holding(address);
        return span == nullptr ? std::nullopt : std::optional<free_block>(*span);
    }

    // What a span message tells: the span the range overlaps and the allocation in its way.
    detail::span_failure span_context(Offset start, Size size) const {
        detail::span_failure told{context(start), std::nullopt, std::nullopt};
        if (size == 0) return told;
        const Size clipped = std::min(size, universe - start);
        if (clipped == 0) return told;
        if (const free_block* overlapped = spans_.overlapping(start, clipped)) told.overlapped = *overlapped;
        told.in_way = obstacle_in(start, clipped);
        return told;
    }

    errc add_span_checked(Offset start, Size size) {
        if (size == 0) return errc::invalid_size;
        if (size > universe - start || spans_.overlapping(start, size) != nullptr) return errc::invalid_address;
        spans_.reserve_change();  // may throw: nothing changed yet
        index_.release(index_handle{}, start, size);
        spans_.add(start, size);
        return errc::ok;
    }

    errc remove_span_checked(Offset start, Size size) {
        if (size == 0) return errc::invalid_size;  // before the address, unlike free: as add_span
        if (range_error(start, size) != errc::ok) return errc::invalid_address;
        const std::optional<placement> target = free_block_holding(start, size);
        if (!target) return errc::invalid_free;
        spans_.reserve_change();  // may throw: nothing changed yet
        index_.take(*target, size);
        spans_.remove(start, size);
        return errc::ok;
    }

    slot_number allocate_or_throw(Size size, Size alignment, std::optional<Owner> owner) {
        const result<slot_number> placed = place(size, alignment, owner);
        if (!placed) {
            throw_error(placed.error(), detail::allocate_message(placed.error(), size, alignment, context()));
        }
        return *placed;
    }

    // Strong guarantee: every step that may throw comes before the ones that cannot, or is undone.
    [[gnu::always_inline]] result<slot_number> place(Size size, Size alignment, std::optional<Owner> owner) {
        if (const errc kind = request_error(size, alignment); kind != errc::ok) return kind;
        const std::optional<placement> chosen = find(size, alignment);
        if (!chosen) return errc::out_of_memory;
        const slot_number at = hold(*chosen, chosen->address, size, owner, alignment);
        rover_ = chosen->address + size;
        return at;
    }

    // Records [address, +size) as live and has the index take it from the free block `chosen`;
    // returns its slot. Strong guarantee: if the index throws, the records are undone.
    [[gnu::always_inline]] slot_number hold(const placement& chosen, Offset address, Size size, std::optional<Owner> owner,
                                            Size alignment) {
        const slot_number at = ledger_.add(address, ledger_record{});
        try {
            take_into(at, chosen, address, size, owner, alignment);
        } catch (...) {
            ledger_.remove(at, address);
            throw;
        }
        return at;
    }

    // Has the index take [address, +size) from `chosen` for the slot `at`, recording its owner and
    // alignment, and counts it. Strong guarantee: if anything throws, nothing of it stays.
    [[gnu::always_inline]] void take_into(slot_number at, const placement& chosen, Offset address, Size size,
                                          std::optional<Owner> owner, Size alignment) {
        remember(address, owner, alignment);
        try {
            ledger_[at].record.held = index_.take(chosen, size);
        } catch (...) {
            forget(address);
            throw;
        }
        if constexpr (!index_knows_blocks) {
            ledger_[at].record.address = address;
            ledger_[at].record.size = size;
        }
        used_memory_ += size;
        reserved_memory_ += reserved_units(ledger_[at].record);
    }

    // Adds the alignment above 1 and the owner's entries of `address`. Strong guarantee.
    [[gnu::always_inline]] void remember(Offset address, std::optional<Owner> owner, Size alignment) {
        if (alignment > 1) alignments_.reserve(alignments_.size() + 1);  // may throw: nothing changed yet
        if (owner) {
            auto* owned_entry = &owners_.insert(address, *owner);
            try {
                owned_[*owner].insert(address);
            } catch (...) {
                owners_.erase(owned_entry);
                throw;
            }
        }
        if (alignment > 1) alignments_.insert(address, alignment);  // room reserved
    }

    // Removes the owner and alignment entries remember() made; the slot stays.
    [[gnu::always_inline]] void forget(Offset address) noexcept {
        if (alignments_.size() != 0 || owners_.size() != 0) forget_entries(address);
    }
    [[gnu::noinline]] void forget_entries(Offset address) noexcept {
        if (alignments_.size() != 0) {
            if (auto* aligned = alignments_.find(address)) alignments_.erase(aligned);
        }
        if (owners_.size() != 0) {
            if (auto* owned_entry = owners_.find(address)) {
                const auto addresses = owned_.find(owned_entry->value);
                addresses->second.erase(address);
                if (addresses->second.empty()) owned_.erase(addresses);
                owners_.erase(owned_entry);
            }
        }
    }

    // Gives the block of slot `at`, at `address`, back to the index and forgets its owner and
    // alignment; the slot stays live for replace(), but its address is no longer read from the
    // index. The index's release may throw; then nothing changed.
    [[gnu::always_inline]] void release_block(slot_number at, Offset address) {
        const ledger_record& held = ledger_[at].record;
        const Size reserved = reserved_units(held);
        const Size size = size_of(held);
        index_.release(held.held, address, size);
        used_memory_ -= size;
        reserved_memory_ -= reserved;
        forget(address);
    }

    // Releases the block of slot `at`, at `address`, and frees the slot.
    [[gnu::always_inline]] void release(slot_number at, Offset address) {
        release_block(at, address);
        ledger_.remove(at, address);
    }

    // Frees at once, or with an epoch queues the free until that epoch completes.
    errc free_checked(Offset address, std::optional<Size> size, std::optional<Epoch> epoch = std::nullopt) {
        if (const errc kind = range_error(address, size); kind != errc::ok) return kind;
        const slot_number at = ledger_.at_address(address, addresses());
        if (at == ledger_type::none || (size && size_of(ledger_[at].record) != *size)) return errc::invalid_free;
        if (epoch) {
            queue(at, address, *epoch);
        } else {
            release(at, address);
        }
        return errc::ok;
    }

    // Moves the allocation of slot `at`, at `address`, from the ledger to the queue of deferred
    // frees; its units stay taken. Strong guarantee (the queue's node is made first).
    void queue(slot_number at, Offset address, Epoch epoch) {
        const ledger_record& record = ledger_[at].record;
        const Size size = size_of(record);
        const Size reserved = reserved_units(record);
        queued_.insert({epoch, queued_free{address, size, reserved, record.held}});
        used_memory_ -= size;
        reserved_memory_ -= reserved;
        queued_memory_ += reserved;
        forget(address);
        ledger_.remove(at, address);
    }

    result<Offset> reallocate_checked(Offset address, Size new_size, Size alignment) {
        if (spans_.holding(address) == nullptr) return errc::invalid_address;
        if (const errc kind = request_error(new_size, alignment); kind != errc::ok) return kind;
        const slot_number at = ledger_.at_address(address, addresses());
        if (at == ledger_type::none) return errc::invalid_free;
        ledger_record& record = ledger_[at].record;
        const Size old_size = size_of(record);
        const bool aligned = alignment_padding(address, alignment) == 0;
        const bool may_stay = new_size <= old_size || aligned;
        const Size reserved_before = reserved_units(record);
        // In place, the allocation is aligned as asked where its address allows, else as before.
        const Size kept_alignment = aligned ? alignment : alignment_of(address);
        if (may_stay && kept_alignment > 1) alignments_.reserve(alignments_.size() + 1);  // may throw: nothing changed yet
        if (may_stay && index_.resize_in_place(record.held, address, old_size, new_size)) {
            used_memory_ = used_memory_ - old_size + new_size;
            if constexpr (!index_knows_blocks) record.size = new_size;
            reserved_memory_ = reserved_memory_ - reserved_before + reserved_units(record);
            set_alignment(address, kept_alignment);
            return address;
        }
        return move(at, address, new_size, alignment);
    }

    // Records `alignment` for the live allocation at `address`; room must be reserved.
    void set_alignment(Offset address, Size alignment) noexcept {
        auto* found = alignments_.size() == 0 ? nullptr : alignments_.find(address);
        if (alignment < 2) {
            if (found != nullptr) alignments_.erase(found);
        } else if (found != nullptr) {
            found->value = alignment;
        } else {
            alignments_.insert(address, alignment);
        }
    }

    // Moves the allocation of slot `at`, at `address`, to a new block; the slot, and so its
    // handle, follows it.
    result<Offset> move(slot_number at, Offset address, Size new_size, Size alignment) {
        const std::optional<Owner> owner = owner_of(address);
        const result<slot_number> moved = place(new_size, alignment, owner);
        if (!moved) return moved.error();
        const Offset destination = address_of(*moved);
        try {
            release_block(at, address);
        } catch (...) {
            // Releasing a block just taken merges back into the free space it came from, which
            // needs no new metadata, so this undo cannot throw.
            release(*moved, destination);
            throw;
        }
        ledger_.replace(at, address, *moved, destination);
        return destination;
    }

    Index index_;                                                  // where the free space is
    ledger_type ledger_;                                           // live allocations: slots, handles, addresses
    detail::offset_map<Owner> owners_;                             // owner tag of each owned allocation, by address
    detail::offset_map<Size> alignments_;                          // alignment of each allocation aligned above 1, by address
    std::unordered_map<Owner, std::unordered_set<Offset>> owned_;  // addresses of each owner's allocations
    std::multimap<Epoch, queued_free> queued_;                     // deferred frees, by epoch
    Size queued_memory_ = 0;                                       // units the queued frees hold
    detail::span_set spans_;                                       // the units managed: [0, capacity) unless spans changed it
    Size used_memory_ = 0;                                         // sum of the ledger's sizes
    Size reserved_memory_ = 0;                                     // sum of the units the allocations hold
    Offset rover_ = 0;                                             // next fit: end of the last placement
    Fit fit_;                                                      // placement policy
};

// The seed's MemoryAllocator: first fit (or another policy) over an address-ordered
// doubly-linked list of free blocks. Every operation is O(n) in the number of free blocks.
using MemoryAllocator = basic_memory_allocator<free_list>;

}  // namespace heapkit
