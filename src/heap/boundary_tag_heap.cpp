// SPDX-License-Identifier: MIT
// boundary_tag_heap: block splitting and coalescing over in-band tags, TLSF-filed free lists.
//
// Invariants (validate() checks each; O(blocks + classes)):
//   BT1 each region is tiled exactly by its blocks: sizes are multiples of 16, at least
//       min_block_bytes, and the walk from the first block lands on the epilogue.
//   BT2 a block's "previous used" bit equals whether the block before it is live (the first block
//       of a region says "used").
//   BT3 a free block's footer equals its size, and no two free blocks are neighbours.
//   BT4 live blocks carry the heap's tag; free blocks carry none.
//   BT5 every free block is in exactly the list of class_holding(size), lists are doubly linked.
//   BT6 a class is marked in the bitmap iff its list is non-empty.
//   BT7 the totals match the walk, and in_use + free + bookkeeping == capacity.
//   BT8 quick blocks (freed, not yet coalesced) are exactly the members of the quick lists, each
//       list holds blocks of its one size, at most quick_list_limit of them.
#include "heapkit/heap/boundary_tag_heap.hpp"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <new>
#include <stdexcept>
#include <string>

#include "heapkit/offset/error.hpp"

namespace heapkit {

namespace {

constexpr std::uint64_t used_bit = 1;
constexpr std::uint64_t previous_used_bit = 2;
constexpr std::uint64_t quick_bit = 4;  // a freed block waiting in a quick list: still "used" to its neighbours
// What a freed block's header becomes when it merges into the free block before it: "not used"
// (bit 0 clear, so an immediate second free is refused) and, unlike zeros, unlikely in user data,
// so that a second free is told from a free of a pointer inside a block (was_freed).
constexpr std::uint64_t merged_header = 0x6d65726765642d68ull;  // "h-merged"
constexpr std::uint64_t size_mask = ((std::uint64_t{1} << 48) - 1) & ~std::uint64_t{15};
constexpr unsigned tag_shift = 48;

[[noreturn]] void broken(const char* invariant, const std::string& detail) {
    throw std::logic_error(std::string("heapkit::boundary_tag_heap invariant ") + invariant + " broken: " + detail);
}

std::string hex(const void* pointer) {
    char text[32];
    std::snprintf(text, sizeof text, "%p", pointer);
    return text;
}

std::uintptr_t align_up(std::uintptr_t value, std::size_t alignment) noexcept {
    return (value + alignment - 1) & ~(std::uintptr_t{alignment} - 1);
}

}  // namespace

struct boundary_tag_heap::block {
    std::uint64_t header;  // size | tag | flags; only through word() and set_word()
    block* next_free;      // free blocks only: the list of the block's class
    block* prev_free;      // free blocks only

    // Relaxed atomic access (plain moves on x86-64 and AArch64): thread_arenas reads a live
    // block's tag without its owner's lock while the owner may flip the "previous used" bit.
    std::uint64_t word() const noexcept {
        return std::atomic_ref(const_cast<std::uint64_t&>(header)).load(std::memory_order_relaxed);
    }
    void set_word(std::uint64_t value) noexcept { std::atomic_ref(header).store(value, std::memory_order_relaxed); }
    void set_flag(std::uint64_t flag, bool on) noexcept { set_word(on ? word() | flag : word() & ~flag); }

    std::size_t size() const noexcept { return word() & size_mask; }
    bool used() const noexcept { return (word() & used_bit) != 0; }
    bool quick() const noexcept { return (word() & quick_bit) != 0; }
    bool previous_used() const noexcept { return (word() & previous_used_bit) != 0; }
    tag_type tag() const noexcept { return static_cast<tag_type>(word() >> tag_shift); }
    void set_size(std::size_t bytes) noexcept { set_word((word() & ~size_mask) | bytes); }

    std::byte* bytes() noexcept { return reinterpret_cast<std::byte*>(this); }
    void* payload() noexcept { return bytes() + header_bytes; }
    block* next() noexcept { return reinterpret_cast<block*>(bytes() + size()); }
    std::uint64_t& footer() noexcept { return *reinterpret_cast<std::uint64_t*>(bytes() + size() - 8); }
    // The block before; valid only when !previous_used(), since only free blocks have a footer.
    block* previous() noexcept {
        const auto previous_size = *reinterpret_cast<const std::uint64_t*>(bytes() - 8);
        return reinterpret_cast<block*>(bytes() - previous_size);
    }
    static block* of_payload(const void* pointer) noexcept {
        return reinterpret_cast<block*>(const_cast<std::byte*>(static_cast<const std::byte*>(pointer)) - header_bytes);
    }
};

struct boundary_tag_heap::region {
    region* next;             // the region added before this one
    block* first;             // its first block
    block* epilogue;          // size 0, used: where the walk stops
    std::size_t given_bytes;  // the span the caller gave
};
static_assert(sizeof(void*) == 8, "the layout drawing assumes 64-bit pointers");

[[gnu::hot]] boundary_tag_heap::boundary_tag_heap(tag_type tag) noexcept : tag_(tag) {}

boundary_tag_heap::boundary_tag_heap(std::span<std::byte> memory, tag_type tag) : tag_(tag) { add_region(memory); }

[[gnu::hot]] void boundary_tag_heap::add_region(std::span<std::byte> memory) {
    const auto begin = reinterpret_cast<std::uintptr_t>(memory.data());
    const std::uintptr_t end = begin + memory.size();
    const std::uintptr_t header_at = align_up(begin, alignment_bytes);
    const std::uintptr_t first_at = header_at + sizeof(region) + 8;
    if (memory.size() < region_overhead_bytes + alignment_bytes + min_block_bytes || first_at + min_block_bytes + 8 > end)
        throw_error(errc::invalid_size,
                    "heapkit::boundary_tag_heap: a region of " + std::to_string(memory.size()) + " bytes cannot hold one block");
    const std::size_t block_bytes = (end - 8 - first_at) / alignment_bytes * alignment_bytes;
    if (block_bytes > max_block_bytes)
        throw_error(errc::invalid_size, "heapkit::boundary_tag_heap: a region may hold at most 2^48 bytes");

    auto* first = reinterpret_cast<block*>(first_at);
    auto* epilogue = reinterpret_cast<block*>(first_at + block_bytes);
    first->set_word(block_bytes | previous_used_bit);
    first->footer() = block_bytes;
    epilogue->set_word(used_bit);
    regions_ = new (reinterpret_cast<void*>(header_at)) region{regions_, first, epilogue, memory.size()};
    capacity_bytes_ += memory.size();
    ++region_count_;
    file(first);
}

[[gnu::hot]] void boundary_tag_heap::file(block* free_block) noexcept {
    const std::size_t klass = class_holding(free_block->size()).flat();
    free_block->prev_free = nullptr;
    free_block->next_free = free_lists_[klass];
    if (free_lists_[klass] != nullptr) free_lists_[klass]->prev_free = free_block;
    free_lists_[klass] = free_block;
    non_empty_.mark(size_class::from_flat(klass));
    free_bytes_ += free_block->size();
    ++free_block_count_;
}

[[gnu::hot]] void boundary_tag_heap::unfile(block* free_block) noexcept {
    const std::size_t klass = class_holding(free_block->size()).flat();
    if (free_block->prev_free != nullptr)
        free_block->prev_free->next_free = free_block->next_free;
    else
        free_lists_[klass] = free_block->next_free;
    if (free_block->next_free != nullptr) free_block->next_free->prev_free = free_block->prev_free;
    if (free_lists_[klass] == nullptr) non_empty_.clear(size_class::from_flat(klass));
    free_bytes_ -= free_block->size();
    --free_block_count_;
}

namespace {

// Bytes before the payload's aligned start that a free block at `start` must give up: 0, or a
// free block of its own (at least min_block_bytes).
std::size_t leading_gap(std::uintptr_t start, std::size_t alignment) noexcept {
    if (alignment <= boundary_tag_heap::alignment_bytes) return 0;
    const std::uintptr_t payload = start + boundary_tag_heap::header_bytes;
    std::size_t gap = align_up(payload, alignment) - payload;
    if (gap != 0 && gap < boundary_tag_heap::min_block_bytes) gap += alignment;
    return gap;
}

}  // namespace

[[gnu::hot]] std::size_t boundary_tag_heap::block_bytes_for(std::size_t size) noexcept {
    constexpr std::size_t largest_request = max_block_bytes - header_bytes;
    if (size > largest_request) return 0;
    return std::max<std::size_t>(align_up(size + header_bytes, alignment_bytes), min_block_bytes);
}

[[gnu::hot]] boundary_tag_heap::block* boundary_tag_heap::find_free_block(std::size_t block_bytes,
                                                                          std::size_t alignment) const noexcept {
    if (alignment > max_block_bytes) return nullptr;
    // Fastest path: the most recently freed block of the request's own class, when it fits. Below
    // 1 KiB classes are exact, so this is an exact fit with no split, and its memory is likely
    // still in cache.
    if (block* recent = free_lists_[class_holding(block_bytes).flat()];
        recent != nullptr && leading_gap(reinterpret_cast<std::uintptr_t>(recent), alignment) + block_bytes <= recent->size())
        return recent;
    // Fast path: the head of the first non-empty class whose every block fits even after the
    // worst alignment gap. O(1).
    const std::size_t worst_gap = alignment > alignment_bytes ? alignment + min_block_bytes : 0;
    if (const auto klass = class_guaranteeing(block_bytes + worst_gap)) {
        if (const auto found = non_empty_.first_at_or_above(*klass)) return free_lists_[found->flat()];
    }
    // Slow path, only when memory is tight: every block that might fit.
    for (auto klass = non_empty_.first_at_or_above(class_holding(block_bytes)); klass;) {
        for (block* candidate = free_lists_[klass->flat()]; candidate != nullptr; candidate = candidate->next_free) {
            const auto start = reinterpret_cast<std::uintptr_t>(candidate);
            if (leading_gap(start, alignment) + block_bytes <= candidate->size()) return candidate;
        }
        const std::size_t next_flat = klass->flat() + 1;
        if (next_flat == tlsf_class_count) break;
        klass = non_empty_.first_at_or_above(size_class::from_flat(next_flat));
    }
    return nullptr;
}

[[gnu::hot]] void* boundary_tag_heap::place(block* free_block, std::size_t block_bytes, std::size_t alignment) noexcept {
    unfile(free_block);
    block* chosen = free_block;
    if (const std::size_t gap = leading_gap(reinterpret_cast<std::uintptr_t>(free_block), alignment); gap != 0) {
        const std::size_t total = free_block->size();
        free_block->set_word(gap | (free_block->word() & previous_used_bit));
        free_block->footer() = gap;
        file(free_block);
        chosen = free_block->next();
        chosen->set_word(total - gap);  // previous block (the gap) is free
    }
    chosen->set_word(chosen->size() | used_bit | (chosen->word() & previous_used_bit) | (std::uint64_t{tag_} << tag_shift));
    chosen->next()->set_flag(previous_used_bit, true);
    in_use_bytes_ += chosen->size();
    ++allocation_count_;
    split_tail(chosen, block_bytes);
    return chosen->payload();
}

[[gnu::hot]] void boundary_tag_heap::split_tail(block* live_block, std::size_t block_bytes) noexcept {
    const std::size_t remainder = live_block->size() - block_bytes;
    if (remainder < min_block_bytes) return;
    live_block->set_size(block_bytes);
    in_use_bytes_ -= remainder;
    block* tail = live_block->next();
    std::size_t tail_bytes = remainder;
    block* after = reinterpret_cast<block*>(tail->bytes() + remainder);
    if (!after->used()) {
        unfile(after);
        tail_bytes += after->size();
    }
    tail->set_word(tail_bytes | previous_used_bit);
    tail->footer() = tail_bytes;
    file(tail);
    tail->next()->set_flag(previous_used_bit, false);
}

[[gnu::hot]] void* boundary_tag_heap::try_allocate(std::size_t size, std::size_t alignment) noexcept {
    if (!is_power_of_two(alignment)) return nullptr;
    alignment = std::max(alignment, alignment_bytes);
    const std::size_t block_bytes = block_bytes_for(size);
    if (block_bytes == 0) return nullptr;
    if (block_bytes <= quick_max_block_bytes && alignment == alignment_bytes) {
        const std::size_t index = quick_index(block_bytes);
        if (block* cached = quick_lists_[index]) {  // the fastest path: no split, no neighbour touched
            quick_lists_[index] = cached->next_free;
            --quick_counts_[index];
            quick_bytes_ -= block_bytes;
            cached->set_flag(quick_bit, false);
            in_use_bytes_ += block_bytes;
            ++allocation_count_;
            return cached->payload();
        }
    }
    block* found = find_free_block(block_bytes, alignment);
    if (found == nullptr && quick_bytes_ != 0) {  // memory is tight: coalesce what the quick lists hold
        flush_quick_lists();
        found = find_free_block(block_bytes, alignment);
    }
    return found != nullptr ? place(found, block_bytes, alignment) : nullptr;
}

void* boundary_tag_heap::allocate(std::size_t size, std::size_t alignment) {
    if (void* pointer = try_allocate(size, alignment)) return pointer;
    throw_request_error(size, alignment);
}

void boundary_tag_heap::throw_request_error(std::size_t size, std::size_t alignment) {
    if (!is_power_of_two(alignment))
        throw_error(errc::invalid_alignment,
                    "heapkit::boundary_tag_heap: alignment " + std::to_string(alignment) + " is not a power of two");
    if (block_bytes_for(size) == 0)
        throw_error(errc::out_of_memory,
                    "heapkit::boundary_tag_heap: " + std::to_string(size) + " bytes is larger than any block");
    throw_error(errc::out_of_memory, "heapkit::boundary_tag_heap: no free block holds " + std::to_string(size) +
                                         " bytes aligned to " + std::to_string(alignment));
}

[[gnu::hot]] const boundary_tag_heap::region* boundary_tag_heap::home_of(const void* pointer) const noexcept {
    return reinterpret_cast<std::uintptr_t>(pointer) % alignment_bytes == 0 ? region_of(pointer) : nullptr;
}

[[gnu::hot]] bool boundary_tag_heap::plausible_size(const block* candidate, const region* home) noexcept {
    const std::size_t size = candidate->size();
    return size >= min_block_bytes && size % alignment_bytes == 0 &&
           size <= static_cast<std::size_t>(reinterpret_cast<const std::byte*>(home->epilogue) -
                                            reinterpret_cast<const std::byte*>(candidate));
}

[[gnu::hot]] boundary_tag_heap::block* boundary_tag_heap::live_block_at(const void* pointer, errc& why) const noexcept {
    const region* home = home_of(pointer);
    if (home == nullptr) {
        why = errc::invalid_address;
        return nullptr;
    }
    block* live = block::of_payload(pointer);
    if (!live->used() || live->quick() || live->tag() != tag_ || !plausible_size(live, home)) {  // BT4
        why = errc::invalid_free;
        return nullptr;
    }
    return live;
}

void boundary_tag_heap::throw_not_live(const void* pointer, errc why) {
    if (why == errc::invalid_address)
        throw_error(why, "heapkit::boundary_tag_heap: " + hex(pointer) + " was not handed out by this heap");
    throw_error(why, "heapkit::boundary_tag_heap: " + hex(pointer) + " is not a live block (double free?)");
}

void boundary_tag_heap::deallocate(void* pointer) {
    if (const errc why = try_deallocate(pointer); why != errc::ok) throw_not_live(pointer, why);
}

[[gnu::hot]] errc boundary_tag_heap::try_deallocate(void* pointer) noexcept {
    if (pointer == nullptr) return errc::ok;
    errc why = errc::ok;
    block* freed = live_block_at(pointer, why);
    if (freed == nullptr) return why;
    const std::size_t bytes = freed->size();
    in_use_bytes_ -= bytes;
    --allocation_count_;
    if (bytes <= quick_max_block_bytes) {
        const std::size_t index = quick_index(bytes);
        if (quick_counts_[index] < quick_list_limit) {
            freed->set_flag(quick_bit, true);
            freed->next_free = quick_lists_[index];
            quick_lists_[index] = freed;
            ++quick_counts_[index];
            quick_bytes_ += bytes;
            return errc::ok;
        }
    }
    release(freed);
    return errc::ok;
}

[[gnu::hot]] void boundary_tag_heap::release(block* freed) noexcept {
    std::size_t bytes = freed->size();
    block* start = freed;
    if (block* after = freed->next(); !after->used()) {
        unfile(after);
        bytes += after->size();
    }
    if (!freed->previous_used()) {
        start = freed->previous();
        unfile(start);
        bytes += start->size();
        freed->set_word(merged_header);  // inside a free block now: a second free must not see "used"
    }
    // BT3 held before, so the block before `start` is live.
    start->set_word(bytes | previous_used_bit);
    start->footer() = bytes;
    file(start);
    start->next()->set_flag(previous_used_bit, false);
}

void boundary_tag_heap::flush_quick_lists() noexcept {
    for (std::size_t index = 0; index < quick_class_count; ++index) {
        while (block* cached = quick_lists_[index]) {
            quick_lists_[index] = cached->next_free;
            cached->set_flag(quick_bit, false);
            release(cached);
        }
        quick_counts_[index] = 0;
    }
    quick_bytes_ = 0;
}

[[gnu::hot]] void* boundary_tag_heap::try_reallocate(void* pointer, std::size_t size, std::size_t alignment) noexcept {
    if (pointer == nullptr) return try_allocate(size, alignment);
    if (!is_power_of_two(alignment)) return nullptr;
    const std::size_t block_bytes = block_bytes_for(size);
    errc why = errc::ok;
    block* live = live_block_at(pointer, why);
    if (block_bytes == 0 || live == nullptr) return nullptr;
    if (reinterpret_cast<std::uintptr_t>(pointer) % alignment == 0) {
        if (block_bytes <= live->size()) {
            split_tail(live, block_bytes);
            return pointer;
        }
        if (block* after = live->next(); !after->used() && live->size() + after->size() >= block_bytes) {
            unfile(after);
            in_use_bytes_ += after->size();
            live->set_size(live->size() + after->size());
            live->next()->set_flag(previous_used_bit, true);
            split_tail(live, block_bytes);
            return pointer;
        }
    }
    void* moved = try_allocate(size, alignment);
    if (moved == nullptr) return nullptr;
    std::memcpy(moved, pointer, std::min(usable_size(pointer), size));
    deallocate(pointer);
    return moved;
}

void* boundary_tag_heap::reallocate(void* pointer, std::size_t size, std::size_t alignment) {
    if (pointer == nullptr) return allocate(size, alignment);
    if (void* resized = try_reallocate(pointer, size, alignment)) return resized;
    // Which rule failed, in the order allocate checks them, the pointer before running out.
    if (is_power_of_two(alignment) && block_bytes_for(size) != 0) {
        errc why = errc::ok;
        if (live_block_at(pointer, why) == nullptr) throw_not_live(pointer, why);
    }
    throw_request_error(size, alignment);
}

[[gnu::hot]] std::size_t boundary_tag_heap::usable_size(const void* pointer) noexcept {
    return block::of_payload(pointer)->size() - header_bytes;
}

[[gnu::hot]] bool boundary_tag_heap::header_says_live(const void* pointer, tag_type tag) noexcept {
    const block* live = block::of_payload(pointer);
    const std::size_t size = live->size();
    return live->used() && !live->quick() && live->tag() == tag && size >= min_block_bytes && size % alignment_bytes == 0;
}

[[gnu::hot]] boundary_tag_heap::tag_type boundary_tag_heap::owner_tag(const void* pointer) noexcept {
    return block::of_payload(pointer)->tag();
}

[[gnu::hot]] const boundary_tag_heap::region* boundary_tag_heap::region_of(const void* pointer) const noexcept {
    const auto address = reinterpret_cast<std::uintptr_t>(pointer);
    for (const region* r = regions_; r != nullptr; r = r->next) {
        if (address >= reinterpret_cast<std::uintptr_t>(r->first->payload()) &&
            address < reinterpret_cast<std::uintptr_t>(r->epilogue))
            return r;
    }
    return nullptr;
}

bool boundary_tag_heap::owns(const void* pointer) const noexcept { return region_of(pointer) != nullptr; }

[[gnu::hot]] bool boundary_tag_heap::was_freed(const void* pointer) const noexcept {
    const region* home = home_of(pointer);
    if (home == nullptr) return false;
    block* freed = block::of_payload(pointer);
    if (freed->word() == merged_header) return true;
    if (freed->used()) return freed->quick() && freed->tag() == tag_;
    return freed->tag() == 0 && plausible_size(freed, home) && freed->footer() == freed->size();
}

[[gnu::hot]] bool boundary_tag_heap::is_live(const void* pointer) const noexcept {
    errc why = errc::ok;
    return live_block_at(pointer, why) != nullptr;
}

void boundary_tag_heap::for_each_free_span(std::size_t min_bytes, free_span_visitor visit, void* context) const noexcept {
    constexpr std::size_t metadata_bytes = header_bytes + 2 * sizeof(block*);  // header and links in front
    for (auto klass = non_empty_.first_at_or_above(class_holding(std::max(min_bytes, min_block_bytes))); klass;) {
        for (block* free_block = free_lists_[klass->flat()]; free_block != nullptr; free_block = free_block->next_free) {
            if (free_block->size() < min_bytes) continue;
            visit(context, free_block->bytes() + metadata_bytes, free_block->size() - metadata_bytes - sizeof(std::uint64_t));
        }
        const std::size_t next_flat = klass->flat() + 1;
        if (next_flat == tlsf_class_count) break;
        klass = non_empty_.first_at_or_above(size_class::from_flat(next_flat));
    }
}

heap_stats boundary_tag_heap::stats() const noexcept {
    heap_stats totals;
    totals.capacity_bytes = capacity_bytes_;
    totals.in_use_bytes = in_use_bytes_;
    totals.free_bytes = free_bytes();
    totals.bookkeeping_bytes = capacity_bytes_ - in_use_bytes_ - totals.free_bytes;
    totals.overhead_bytes = allocation_count_ * header_bytes + totals.bookkeeping_bytes;
    totals.allocation_count = allocation_count_;
    totals.free_block_count = free_block_count_;
    for (const std::size_t count : quick_counts_) totals.free_block_count += count;
    totals.region_count = region_count_;
    if (const auto top = non_empty_.highest()) {
        std::size_t largest = 0;
        for (const block* b = free_lists_[top->flat()]; b != nullptr; b = b->next_free) largest = std::max(largest, b->size());
        totals.largest_free_block = largest - header_bytes;
    }
    for (std::size_t index = quick_class_count; index-- > 0;) {
        if (quick_counts_[index] == 0) continue;
        totals.largest_free_block = std::max(totals.largest_free_block, quick_block_bytes(index) - header_bytes);
        break;
    }
    return totals;
}

void boundary_tag_heap::validate() const {
    std::size_t in_use = 0, free = 0, quick = 0, live_count = 0, free_count = 0, quick_count = 0, capacity = 0, regions = 0;
    for (const region* r = regions_; r != nullptr; r = r->next) {
        ++regions;
        capacity += r->given_bytes;
        bool previous_used = true;
        block* b = r->first;
        while (b != r->epilogue) {
            const auto address = reinterpret_cast<std::uintptr_t>(b);
            if (b->size() % alignment_bytes != 0 || b->size() < min_block_bytes ||
                address + b->size() > reinterpret_cast<std::uintptr_t>(r->epilogue))
                broken("BT1", "block " + hex(b) + " of size " + std::to_string(b->size()) + " does not tile its region");
            if (b->previous_used() != previous_used)
                broken("BT2", "block " + hex(b) + " says the block before is " + (b->previous_used() ? "used" : "free"));
            if (b->used()) {
                if (b->tag() != tag_) broken("BT4", "live block " + hex(b) + " carries tag " + std::to_string(b->tag()));
                if (b->quick()) {
                    quick += b->size();
                    ++quick_count;
                } else {
                    in_use += b->size();
                    ++live_count;
                }
            } else {
                if (b->quick()) broken("BT8", "free block " + hex(b) + " is marked quick");
                if (b->footer() != b->size())
                    broken("BT3", "free block " + hex(b) + " has footer " + std::to_string(b->footer()));
                if (!previous_used) broken("BT3", "free block " + hex(b) + " follows a free block");
                if (b->tag() != 0) broken("BT4", "free block " + hex(b) + " carries a tag");
                free += b->size();
                ++free_count;
            }
            previous_used = b->used();
            b = b->next();
        }
        if (b->word() != (used_bit | (previous_used ? previous_used_bit : 0)))
            broken("BT1", "the epilogue of the region at " + hex(r) + " is damaged");
    }
    std::size_t listed = 0;
    for (std::size_t klass = 0; klass < tlsf_class_count; ++klass) {
        const block* previous = nullptr;
        for (const block* b = free_lists_[klass]; b != nullptr; previous = b, b = b->next_free) {
            if (++listed > free_count) broken("BT5", "the free lists hold more blocks than the regions");
            if (b->used() || class_holding(b->size()).flat() != klass || b->prev_free != previous)
                broken("BT5", "block " + hex(b) + " is misfiled in class " + std::to_string(klass));
        }
        if (non_empty_.marked(size_class::from_flat(klass)) != (free_lists_[klass] != nullptr))
            broken("BT6", "class " + std::to_string(klass) + " is marked wrongly");
    }
    if (listed != free_count) broken("BT5", std::to_string(free_count - listed) + " free blocks are in no list");
    std::size_t quick_listed = 0;
    for (std::size_t index = 0; index < quick_class_count; ++index) {
        std::size_t length = 0;
        for (const block* b = quick_lists_[index]; b != nullptr; b = b->next_free) {
            if (++quick_listed > quick_count) broken("BT8", "the quick lists hold more blocks than are marked quick");
            if (!b->quick() || b->size() != quick_block_bytes(index))
                broken("BT8", "block " + hex(b) + " is misfiled in quick list " + std::to_string(index));
            ++length;
        }
        if (length != quick_counts_[index] || length > quick_list_limit)
            broken("BT8", "quick list " + std::to_string(index) + " holds " + std::to_string(length) + " blocks");
    }
    if (quick_listed != quick_count || quick != quick_bytes_) broken("BT8", "blocks marked quick are in no quick list");
    if (in_use != in_use_bytes_ || free != free_bytes_ || live_count != allocation_count_ || free_count != free_block_count_ ||
        capacity != capacity_bytes_ || regions != region_count_)
        broken("BT7", "the totals do not match the blocks");
}

}  // namespace heapkit
