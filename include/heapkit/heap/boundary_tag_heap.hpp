// SPDX-License-Identifier: MIT
// boundary_tag_heap: a general-purpose heap over caller-provided memory. In-band boundary tags
// (Knuth) give O(1) coalescing with both neighbours; free blocks are filed in TLSF segregated
// lists (the tlsf_classes arithmetic of the offset layer), so allocate and free are O(1). Small
// freed blocks first wait in short per-size quick lists (deferred coalescing, as glibc's tcache),
// which serve the next request of their size without touching a neighbour.
// One 8-byte header per live block; no allocation of its own, no locks (see locked_heap).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "heapkit/heap/heap_concept.hpp"
#include "heapkit/heap/heap_stats.hpp"
#include "heapkit/offset/error.hpp"
#include "heapkit/offset/tlsf_classes.hpp"

namespace heapkit {

// Block layout. Every block starts at an address = 8 (mod 16), so every payload is 16-aligned,
// and every block size is a multiple of 16:
//
//   live block                          free block (min_block_bytes = 32)
//   +--------------------------+        +--------------------------+
//   | header: size|tag|flags   | 8 B    | header: size|flags       | 8 B
//   +--------------------------+ <-p    +--------------------------+
//   | payload (usable_size =   |        | next_free                | 8 B
//   |   size - 8 bytes)        |        | prev_free                | 8 B
//   |                          |        | ...                      |
//   |                          |        | footer: size             | 8 B  (only free blocks have one)
//   +--------------------------+        +--------------------------+
//
//   header word: bits 0 used, 1 previous block used, 2 quick (freed, waiting in a quick list, still
//   "used" to its neighbours), 4..47 block size in bytes, 48..63 the heap's tag (live and quick
//   blocks; lets thread arenas find a block's owner in O(1)).
//
// "previous block used" is what lets a live block go without a footer: the footer of the block
// before is read only when that bit says it is free. A region is laid out as
//
//   [region header 32 B][8 B gap][block][block]...[block][epilogue header: size 0, used]
//
// so coalescing stops at both ends of a region without a bounds check.
class boundary_tag_heap {
public:
    static constexpr std::size_t alignment_bytes = default_alignment_bytes;  // of every payload
    static constexpr std::size_t header_bytes = 8;                           // per live block
    static constexpr std::size_t min_block_bytes = 32;                       // header, two links, footer
    static constexpr std::size_t max_block_bytes = (std::size_t{1} << 48) - alignment_bytes;
    static constexpr std::size_t region_overhead_bytes = 48;  // region header, gap, epilogue
    // May be tuned: which freed blocks wait in quick lists, and how many of each size.
    static constexpr std::size_t quick_max_block_bytes = 512;
    static constexpr std::size_t quick_list_limit = 16;
    // Follows from them.
    static constexpr std::size_t quick_class_count = quick_max_block_bytes / alignment_bytes - 1;  // 32, 48, ... bytes
    using tag_type = std::uint16_t;

    // An empty heap; `tag` is written into the header of every block it hands out.
    explicit boundary_tag_heap(tag_type tag = 0) noexcept;
    // A heap over `memory`, which must outlive it. Throws like add_region.
    explicit boundary_tag_heap(std::span<std::byte> memory, tag_type tag = 0);
    boundary_tag_heap(const boundary_tag_heap&) = delete;
    boundary_tag_heap& operator=(const boundary_tag_heap&) = delete;

    // Adds `memory` (any alignment) as one more region. Throws heapkit::invalid_size when it is too
    // small to hold one block after alignment, or larger than max_block_bytes. O(1).
    void add_region(std::span<std::byte> memory);

    // A block of at least `size` bytes (0 is legal, as for malloc and pmr) aligned to `alignment`
    // (a power of two; below 16 means 16). Throws heapkit::invalid_alignment or
    // heapkit::out_of_memory (a std::bad_alloc, as malloc and pmr callers expect, also for sizes
    // larger than any block can be). O(1) when a block of the request's guaranteeing class is free; before
    // failing it tries every free block that might fit, so it fails only when none does.
    void* allocate(std::size_t size, std::size_t alignment = alignment_bytes);
    // As allocate, but nullptr on any failure.
    void* try_allocate(std::size_t size, std::size_t alignment = alignment_bytes) noexcept;

    // Returns the block at `pointer` (nullptr: nothing): a block of at most quick_max_block_bytes
    // goes to its size's quick list while that has room, anything else is coalesced at once.
    // Throws heapkit::invalid_address for a pointer outside every region or not 16-aligned,
    // heapkit::invalid_free for one whose header
    // is not a live block's (double free; interior pointers are caught when their bytes do not
    // look like a header, and always by debug_heap). Unchanged when it throws. O(1) + owns().
    void deallocate(void* pointer);
    // As deallocate, but returns the kind instead of throwing (errc::ok when freed): for callers
    // that may not throw, such as malloc.
    errc try_deallocate(void* pointer) noexcept;

    // Resizes the block at `pointer` to at least `size` bytes: in place when it shrinks or the
    // next block is free and large enough, otherwise moves it (copying the contents) and frees the
    // old block. nullptr allocates. Throws as allocate and deallocate; on failure the old block is
    // untouched and still live. O(1) plus the copy.
    void* reallocate(void* pointer, std::size_t size, std::size_t alignment = alignment_bytes);
    // As reallocate, but nullptr on failure (the old block still live).
    void* try_reallocate(void* pointer, std::size_t size, std::size_t alignment = alignment_bytes) noexcept;

    // The block bytes a request of `size` takes (header included, a multiple of 16, at least
    // min_block_bytes), or 0 when no block can be that large. O(1).
    static std::size_t block_bytes_for(std::size_t size) noexcept;

    // Bytes the caller may use at `pointer` (a live block): at least what was asked. O(1).
    static std::size_t usable_size(const void* pointer) noexcept;
    // The tag of the heap that handed out `pointer` (a live block). O(1).
    static tag_type owner_tag(const void* pointer) noexcept;
    // Whether the header before `pointer` (16-aligned, inside one of some heap's regions) says
    // "live" for the heap tagged `tag`: used, not in a quick list, that tag, a plausible size.
    // Reads no heap state, so it may be called without the heap's lock; only the lock makes it
    // final. O(1).
    static bool header_says_live(const void* pointer, tag_type tag) noexcept;
    // Whether `pointer` lies in the payload space of one of this heap's regions. O(regions).
    bool owns(const void* pointer) const noexcept;
    // Whether `pointer` is a live block of this heap (as far as its header tells: used, not
    // quick, this heap's tag, a size that fits its region). O(regions).
    bool is_live(const void* pointer) const noexcept;
    // Whether the header before `pointer` reads as a block this heap freed (a quick block, a free
    // block with its footer, or one merged into the block before it): freeing it again is a
    // double free, whereas a pointer into a block reads as none of these. O(regions).
    bool was_freed(const void* pointer) const noexcept;

    // Coalesces every block waiting in a quick list, so the free space is as few blocks as it can
    // be (allocate does this itself before it would fail). O(quick blocks).
    void flush_quick_lists() noexcept;

    // Calls visit(context, start, bytes) for the part of every free block of at least
    // `min_block_bytes` that holds no heap metadata (past its links, before its footer): memory a
    // caller may hand back to the operating system, since the heap writes there only after
    // allocating it again. O(classes + such blocks).
    using free_span_visitor = void (*)(void* context, std::byte* start, std::size_t bytes);
    void for_each_free_span(std::size_t min_block_bytes, free_span_visitor visit, void* context) const noexcept;

    // Totals; largest_free_block scans the top non-empty class, the rest are O(1).
    heap_stats stats() const noexcept;
    // Free bytes (quick blocks included), O(1): what thread arenas compare to pick the richest.
    std::size_t free_bytes() const noexcept { return free_bytes_ + quick_bytes_; }
    tag_type tag() const noexcept { return tag_; }

    // Walks every block of every region and every list, checking BT1-BT8 (see the .cpp).
    // O(blocks + classes); throws std::logic_error naming the broken invariant.
    void validate() const;

private:
    struct block;   // a view of one header; defined in the .cpp
    struct region;  // a region header

    block* find_free_block(std::size_t block_bytes, std::size_t alignment) const noexcept;
    void* place(block* free_block, std::size_t block_bytes, std::size_t alignment) noexcept;
    void split_tail(block* live_block, std::size_t block_bytes) noexcept;
    void release(block* freed) noexcept;  // coalesces and files a block no one holds
    static constexpr std::size_t quick_index(std::size_t block_bytes) noexcept { return block_bytes / alignment_bytes - 2; }
    static constexpr std::size_t quick_block_bytes(std::size_t index) noexcept { return (index + 2) * alignment_bytes; }
    void file(block* free_block) noexcept;
    void unfile(block* free_block) noexcept;
    const region* region_of(const void* pointer) const noexcept;
    // The region of a payload pointer that is 16-aligned and inside one, else nullptr.
    const region* home_of(const void* pointer) const noexcept;
    // Whether a header's size could be a block's: a multiple of 16, at least the least block,
    // ending by its region's epilogue.
    static bool plausible_size(const block* candidate, const region* home) noexcept;
    block* live_block_at(const void* pointer, errc& why) const noexcept;                    // nullptr and why when not live
    [[noreturn]] static void throw_not_live(const void* pointer, errc why);                 // why: from live_block_at
    [[noreturn]] static void throw_request_error(std::size_t size, std::size_t alignment);  // after a failed try

    std::array<block*, tlsf_class_count> free_lists_{};    // BT5: heads, one list per class
    class_bitmap non_empty_;                               // BT6: bit set iff its list is non-empty
    std::array<block*, quick_class_count> quick_lists_{};  // BT8: singly linked through next_free
    std::array<std::size_t, quick_class_count> quick_counts_{};
    std::size_t quick_bytes_ = 0;     // block bytes waiting in quick lists
    region* regions_ = nullptr;       // singly linked through region headers
    std::size_t capacity_bytes_ = 0;  // bytes of every region, as given
    std::size_t in_use_bytes_ = 0;    // block bytes of live blocks
    std::size_t free_bytes_ = 0;      // block bytes of free blocks
    std::size_t allocation_count_ = 0;
    std::size_t free_block_count_ = 0;
    std::size_t region_count_ = 0;
    tag_type tag_;
};

}  // namespace heapkit
