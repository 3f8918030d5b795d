// SPDX-License-Identifier: MIT
// The slabs: 4 MiB segments of 64 KiB pages, one size class and one family (malloc, new, new[])
// per page, one heap per thread that owns its segments, lock-free remote frees, and a heap handed
// on when its thread exits.
#include "slab_heap.hpp"

#include <pthread.h>
#include <sched.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <initializer_list>
#include <new>
#include <type_traits>

#include "fatal.hpp"
#include "freed_block.hpp"
#include "heapkit/heap/detail/os.hpp"
#include "os_memory.hpp"
#include "slab_classes.hpp"

namespace heapkit::malloc_layer {

namespace {

constexpr std::size_t segment_bytes = std::size_t{4} << 20;                 // may be tuned: a power of two, many pages
constexpr std::size_t slab_page_bytes = std::size_t{64} << 10;              // may be tuned: holds 4 of the largest class
constexpr std::size_t pages_per_segment = segment_bytes / slab_page_bytes;  // page 0 holds the segment's header
// A segment's pages past the last in use are PROT_NONE, made accessible this many at a time as
// pages start: a write far past a block (an overflow by a megabyte, say) faults there.
constexpr std::size_t accessible_batch_pages = 8;  // may be tuned: at most 16, so a megabyte past any block faults
constexpr std::size_t purge_now_pages = 128;       // may be tuned: unused pages past which the owner returns them itself
// A spare heap with blocks out keeps the purge thread coming while frees arrive, and this many
// rounds (seconds) after the last.
constexpr std::uint8_t abandoned_quiet_rounds = 5;  // may be tuned
static_assert(slab_page_bytes % slab_max_bytes == 0 &&
              slab_page_bytes * slab_max_bytes < (std::uint64_t{1} << 32));  // see page_of_block

struct slab_heap;

// A page's answer to "tell my owner when a block comes back": a full page waits for it.
enum notice_state : unsigned char {
    notice_idle,    // not full, or full and already queued before (see queued)
    notice_wanted,  // full: the next remote free queues the page on its heap's `noticed` stack
    notice_queued,  // on the `noticed` stack (at most once: only wanted -> queued pushes it)
};

// Whether the purge thread may give a page's memory back (slab_purge_aged) and whether it is
// doing so; written by the owner and the purge thread, each with a CAS that the other respects.
enum purge_state : unsigned char {
    purge_none,     // in use, or clean, or taken back by the owner: the purge thread leaves it alone
    purge_waiting,  // unused and dirty since retired_ms: the purge thread may take it
    purge_running,  // the purge thread is discarding its memory; it stores purge_none after
};

// One page's descriptor, in its segment's header. Owner-only fields are plain; fields that other
// threads touch are atomic. Layout of a page in use:
//   start: [block 0][block 1] ... [block carved-1][untouched ... up to capacity_of(klass) blocks]
// Blocks are handed out from `free`; the owner's frees go on `local_free` and come back only once
// `free` has run dry (as mimalloc's pages do: a block freed is the next one handed out only at
// that moment, so a use after free or a double free after reuse mostly finds another block than
// its own), and fresh blocks are carved onto `free` a batch at a time.
// PG1: carved == used + |free| + |local_free| and carved <= capacity_of(klass); |remote| <= used.
// PG2: every block on `free`, `local_free` or `remote` starts a block below `carved` and holds the
//      freed key (or, on `free`, the fresh key of a block carved and never handed out).
// PG3: block_bytes != 0 (in use) <=> the page is on its class list or full, never both; an
//      unused page is on its heap's free_pages list, dirty ones first.
// PG4: notice == notice_wanted only while full.
struct slab_page {
    void* free = nullptr;                // blocks to hand out: carved, collected or freed before, links encoded
    std::atomic<void*> remote{nullptr};  // blocks freed by other threads: a lock-free stack
    std::atomic<notice_state> notice{notice_idle};
    bool full = false;       // off its class list: had no room when last looked
    bool dirty = false;      // unused, and its memory not yet returned to the kernel
    std::uint8_t klass = 0;  // size class while in use
    std::atomic<purge_state> purge{purge_none};
    std::uint8_t family = 0;             // while in use: the allocation_kind its blocks were allocated by
    std::uint16_t block_bytes = 0;       // 0 while unused
    std::uint32_t block_reciprocal = 0;  // ceil(2^32 / block_bytes): offset / block_bytes without a division
    std::uint16_t carved = 0;            // blocks carved onto `free` at least once (PG1)
    std::uint16_t used = 0;              // blocks out, as far as the owner knows (PG1)
    void* local_free = nullptr;          // blocks the owner freed since `free` last ran dry, links encoded
    slab_page* next = nullptr;           // class list or free_pages list
    slab_page* previous = nullptr;
    slab_page* next_noticed = nullptr;  // on the owner's `noticed` stack
};
static_assert(sizeof(slab_page) == 64, "one cache line a page descriptor: free() reads one");
static_assert(slab_page_bytes / 16 <= UINT16_MAX, "carved and used count blocks of at least 16 bytes");
static_assert(slab_max_bytes <= UINT16_MAX, "block_bytes holds a class's size");

// The blocks of each class that fit in a page (a table: has_room asks on every allocation off the
// fast path).
constexpr auto class_capacities = [] {
    std::array<std::uint16_t, slab_class_count> capacities{};
    for (std::size_t klass = 0; klass < slab_class_count; ++klass)
        capacities[klass] = static_cast<std::uint16_t>(slab_page_bytes / size_class_bytes(klass));
    return capacities;
}();
std::size_t capacity_of(std::size_t klass) noexcept { return class_capacities[klass]; }
// Fresh blocks carved onto `free` at a time: about 4 KiB of them (a page's memory is touched as it
// is needed), and at least 4, so that a block freed at once is not the next one handed out.
constexpr std::size_t carve_batch_bytes = 4096;  // may be tuned
constexpr std::size_t carve_batch_blocks(std::size_t block_bytes) noexcept {
    return block_bytes * 4 > carve_batch_bytes ? 4 : carve_batch_bytes / block_bytes;
}

// SG1: owner is fixed for the segment's life (which is the process's); pages_in_use == pages
// with block_bytes != 0.
// SG2: the segment map's bit for the segment is set.
// SG3: 1 <= accessible_pages <= pages_per_segment; the pages from it on are PROT_NONE, and none is
// in use (started pages are never made inaccessible again).
struct slab_segment {
    slab_heap* owner;    // the heap whose thread allocates here
    slab_segment* next;  // the owner's segments
    std::size_t pages_in_use;
    std::size_t accessible_pages;        // SG3: pages [0, this) may be touched
    slab_segment* next_in_process;       // every segment, newest first (all_segments)
    slab_page pages[pages_per_segment];  // pages[0] describes this header: never used
    // When each page last became unused (monotonic_ms), written before its purge state.
    std::atomic<std::uint32_t> retired_ms[pages_per_segment];
};
static_assert(sizeof(slab_segment) <= slab_page_bytes);

// A heap's page lists: one per size class and family (malloc, new, new[]), so that a block's page
// says which family allocated it and a free by another is a verdict (list_of).
constexpr std::size_t family_count = 3;
constexpr std::size_t list_count = slab_class_count * family_count;

// HP1: lists[l] lists pages of list l (list_of) with (possibly) room, the one allocated from first.
// HP2: dirty_pages == dirty pages on free_pages, which come before every clean one.
// HP3: a full page is on no list; it comes back through `noticed` or through a local free.
struct slab_heap {
    slab_page* lists[list_count] = {};  // HP1
    slab_page* free_pages = nullptr;    // unused pages of this heap's segments (HP2)
    std::size_t dirty_pages = 0;        // HP2
    slab_segment* segments = nullptr;
    std::atomic<slab_page*> noticed{nullptr};  // full pages that received a remote free
    slab_heap* next_spare = nullptr;           // on the spare list (heaps_mutex)
    bool exit_registered = false;              // the exit key names this heap
    std::uint8_t quiet_rounds_left = 0;        // spare: purge rounds to wait for frees into its pages
};

// The calling thread's heap; nullptr before its first slab allocation, exited_thread() after
// its heap was handed on (an address no heap has; a function, since a reinterpret_cast constant
// would be initialised at start-up, possibly after the first malloc).
__attribute__((tls_model("initial-exec"))) thread_local slab_heap* current_heap = nullptr;
slab_heap* exited_thread() noexcept { return reinterpret_cast<slab_heap*>(alignof(slab_heap)); }

// The list of a size class's pages for one family: a class's lists side by side.
constexpr std::size_t list_of(std::size_t klass, allocation_kind family) noexcept {
    return klass * family_count + static_cast<std::size_t>(family);
}
std::size_t list_of(const slab_page* page) noexcept { return list_of(page->klass, static_cast<allocation_kind>(page->family)); }

// All constinit: malloc runs before any dynamic initialiser of this library.
constinit pthread_mutex_t heaps_mutex = PTHREAD_MUTEX_INITIALIZER;  // guards spare_heaps
constinit slab_heap* spare_heaps = nullptr;                         // heaps whose threads have exited
constinit std::atomic<unsigned> exit_key{~0u};

// One bit per 4 MiB of the 47-bit user address space (4 MiB of zero pages, touched only where
// segments are): free() asks it before it reads anything at a pointer.
constexpr std::size_t segment_slots = os_memory::user_address_end / segment_bytes;
constinit std::atomic<std::uint64_t> segment_map[segment_slots / 64];

constinit std::atomic<slab_segment*> all_segments{nullptr};  // pushed once per segment, never popped

using freed_block::address_of;

// A page's `used` and `block_bytes` are written by its owner alone, and read by slab_census from
// any thread: the owner writes them as relaxed atomics (plain stores on every target heapkit
// runs on) and reads them plainly; the census reads them as relaxed atomics.
template <class Field>
void set_owned(Field& field, std::type_identity_t<Field> value) noexcept {
    __atomic_store_n(&field, value, __ATOMIC_RELAXED);
}
template <class Field>
Field read_owned(const Field& field) noexcept {
    return __atomic_load_n(&field, __ATOMIC_RELAXED);
}

void mark_segment(const slab_segment* segment) noexcept {
    const std::size_t slot = address_of(segment) / segment_bytes;
    segment_map[slot / 64].fetch_or(std::uint64_t{1} << (slot % 64), std::memory_order_release);
}

slab_segment* segment_of(const void* pointer) noexcept {
    return reinterpret_cast<slab_segment*>(address_of(pointer) & ~(segment_bytes - 1));
}
std::size_t page_index(const slab_segment* segment, const void* pointer) noexcept {
    return (address_of(pointer) - address_of(segment)) / slab_page_bytes;
}
std::byte* page_start(slab_page* page) noexcept {
    slab_segment* segment = segment_of(page);
    return reinterpret_cast<std::byte*>(segment) + static_cast<std::size_t>(page - segment->pages) * slab_page_bytes;
}

using freed_block::is_freed;
using freed_block::next_of;

// ---- lists (owner only) ----

void unlink(slab_page*& head, slab_page* page) noexcept {
    if (page->previous != nullptr)
        page->previous->next = page->next;
    else
        head = page->next;
    if (page->next != nullptr) page->next->previous = page->previous;
    page->next = page->previous = nullptr;
}

void push_front(slab_page*& head, slab_page* page) noexcept {
    page->previous = nullptr;
    page->next = head;
    if (head != nullptr) head->previous = page;
    head = page;
}

// Back on its class list behind the page being allocated from (which keeps its place).
[[gnu::hot]] void insert_with_room(slab_heap& heap, slab_page* page) noexcept {
    slab_page*& head = heap.lists[list_of(page)];
    if (head == nullptr) return push_front(head, page);
    page->previous = head;
    page->next = head->next;
    if (head->next != nullptr) head->next->previous = page;
    head->next = page;
}

// ---- pages and segments ----

bool has_room(const slab_page* page) noexcept {
    return page->free != nullptr || page->local_free != nullptr || page->carved < capacity_of(page->klass);
}

// Moves the owner's freed blocks onto the empty `free` (each is checked as it is taken); false
// when there are none. The last one freed is the first taken then, the one moment a block freed
// is the next one handed out.
[[gnu::always_inline]] inline bool take_local_free(slab_page* page) noexcept {
    page->free = page->local_free;
    page->local_free = nullptr;
    return page->free != nullptr;
}

// Fills the empty `free` of a page with room: take_local_free, else a batch of fresh blocks.
[[gnu::hot]] void refill(slab_page* page) noexcept {
    if (take_local_free(page)) return;
    const std::size_t left = capacity_of(page->klass) - page->carved;
    const std::size_t batch = carve_batch_blocks(page->block_bytes);
    const std::size_t count = left < batch ? left : batch;
    std::byte* first = page_start(page) + std::size_t{page->carved} * page->block_bytes;
    void* next = nullptr;
    for (std::size_t i = count; i-- > 0;) {  // linked in address order
        void* block = first + i * page->block_bytes;
        freed_block::link_fresh(block, next);
        next = block;
    }
    page->free = first;
    page->carved = static_cast<std::uint16_t>(page->carved + count);
}

[[gnu::always_inline]] inline void* take_block(slab_page* page) noexcept {  // has_room(page)
    if (page->free == nullptr) refill(page);
    void* block = page->free;
    page->free = freed_block::unlink(block, slab_page_bytes);  // a written freed block is a verdict
    freed_block::clear_words(block);
    set_owned(page->used, static_cast<std::uint16_t>(page->used + 1));
    return block;
}

// Moves the blocks other threads freed onto the owner's list (PG1 holds again); how many.
[[gnu::hot]] std::uint32_t collect_remote(slab_page* page) noexcept {
    void* list = page->remote.exchange(nullptr, std::memory_order_acquire);
    if (list == nullptr) return 0;
    std::uint32_t count = 0;
    void* last = list;
    const std::byte* carved_end = page_start(page) + std::size_t{page->carved} * page->block_bytes;
    for (void* block = list; block != nullptr; block = next_of(block)) {
        if (static_cast<std::byte*>(block) >= carved_end) fatal(misuse::foreign_free, block);
        last = block;
        ++count;
    }
    freed_block::link(last, page->free);
    page->free = list;
    set_owned(page->used, static_cast<std::uint16_t>(page->used - count));
    return count;
}

// The low 32 bits of the monotonic clock's milliseconds: the unsigned differences below survive
// its wrap after 49 days.
std::uint32_t monotonic_ms() noexcept { return static_cast<std::uint32_t>(os::monotonic_milliseconds()); }

// The owner takes a dirty page back from the purge thread before it uses or discards its memory
// itself; while the purge thread is discarding it, waits for that to end. Afterwards the page's
// memory is the owner's alone (and may already be back with the kernel: zeros on next touch).
[[gnu::hot]] void take_back_from_purge(slab_page* page) noexcept {
    purge_state expected = purge_waiting;
    while (!page->purge.compare_exchange_weak(expected, purge_none, std::memory_order_acquire, std::memory_order_acquire)) {
        if (expected == purge_none) return;
        expected = purge_waiting;  // purge_running: one madvise, a few microseconds
        sched_yield();
    }
}

void purge_dirty_pages(slab_heap& heap) noexcept {
    for (slab_page* page = heap.free_pages; page != nullptr && page->dirty; page = page->next) {
        take_back_from_purge(page);
        os_memory::discard(page_start(page), slab_page_bytes);
        page->dirty = false;
    }
    heap.dirty_pages = 0;
}

constinit std::atomic<void (*)() noexcept> purge_waker{nullptr};

// A fresh 4 MiB segment aligned to its size, its pages on the heap's free list; false when the
// kernel refuses (map_aligned keeps it inside the segment map).
[[gnu::hot]] bool add_segment(slab_heap& heap) noexcept {
    void* memory = os_memory::map_aligned(segment_bytes, segment_bytes);
    if (memory == nullptr) return false;
    std::size_t accessible = 1 + accessible_batch_pages;  // the header, and the first pages to start
    if (!os_memory::protect(static_cast<std::byte*>(memory) + accessible * slab_page_bytes,
                            segment_bytes - accessible * slab_page_bytes, os_memory::access::none))
        accessible = pages_per_segment;  // the kernel refused: the segment stays accessible as a whole
    auto* segment =
        new (memory) slab_segment{&heap, heap.segments, 0, accessible, all_segments.load(std::memory_order_relaxed), {}, {}};
    heap.segments = segment;
    while (!all_segments.compare_exchange_weak(segment->next_in_process, segment, std::memory_order_release,
                                               std::memory_order_relaxed)) {}
    for (std::size_t i = pages_per_segment - 1; i >= 1; --i) push_front(heap.free_pages, &segment->pages[i]);
    mark_segment(segment);
    return true;
}

// Makes the unused `page` accessible, with the rest of its batch; false when the kernel refuses.
[[gnu::hot]] bool make_accessible(slab_page* page) noexcept {
    slab_segment* segment = segment_of(page);
    const auto index = static_cast<std::size_t>(page - segment->pages);
    if (index < segment->accessible_pages) return true;
    const std::size_t end =
        index + accessible_batch_pages < pages_per_segment ? index + accessible_batch_pages : pages_per_segment;
    if (!os_memory::protect(page_start(&segment->pages[segment->accessible_pages]),
                            (end - segment->accessible_pages) * slab_page_bytes, os_memory::access::read_write))
        return false;
    segment->accessible_pages = end;
    return true;
}

[[gnu::hot]] slab_page* start_page(slab_heap& heap, std::size_t list) noexcept {
    if (heap.free_pages == nullptr && !add_segment(heap)) return nullptr;
    slab_page* page = heap.free_pages;
    if (!make_accessible(page)) return nullptr;
    unlink(heap.free_pages, page);
    if (page->dirty) {
        take_back_from_purge(page);
        page->dirty = false;
        --heap.dirty_pages;
    }
    ++segment_of(page)->pages_in_use;
    page->klass = static_cast<std::uint8_t>(list / family_count);
    page->family = static_cast<std::uint8_t>(list % family_count);
    set_owned(page->block_bytes, static_cast<std::uint16_t>(size_class_bytes(page->klass)));
    page->block_reciprocal = static_cast<std::uint32_t>(((std::uint64_t{1} << 32) + page->block_bytes - 1) / page->block_bytes);
    page->carved = 0;
    set_owned(page->used, 0);
    page->free = nullptr;
    page->local_free = nullptr;
    push_front(heap.lists[list], page);
    return page;
}

// Brings back the full pages that other threads freed blocks into.
[[gnu::hot]] void drain_noticed(slab_heap& heap) noexcept {
    if (heap.noticed.load(std::memory_order_relaxed) == nullptr) return;
    slab_page* page = heap.noticed.exchange(nullptr, std::memory_order_acquire);
    while (page != nullptr) {
        slab_page* next = page->next_noticed;  // read before the page can be queued again
        page->notice.store(notice_idle, std::memory_order_seq_cst);
        if (page->full) {
            collect_remote(page);
            page->full = false;
            insert_with_room(heap, page);
        }
        page = next;
    }
}

// An empty page back to the heap's unused pages. Their memory goes back to the kernel once they
// have stayed unused HEAPKIT_PURGE_DELAY_MS (the purge thread, when it runs), or at once when
// there are more than purge_now_pages: a program that frees
// and takes a batch of pages again and again (glibc's bench-malloc-simple) keeps them instead of
// faulting them in each time. Segments themselves are never unmapped: a
// thread freeing into a page may still read its descriptor just after its push (remote_free),
// however quickly the owner empties the page, so descriptors must stay readable (the address
// space of a segment is kept, its memory is not).
// (Out of line, as allocate_slow, remote_free and acquire_heap: the fast paths' frames stay small.)
[[gnu::hot, gnu::noinline]] void retire_page(slab_heap& heap, slab_page* page) noexcept {
    unlink(heap.lists[list_of(page)], page);
    set_owned(page->block_bytes, 0);
    page->dirty = true;
    ++heap.dirty_pages;
    push_front(heap.free_pages, page);
    --segment_of(page)->pages_in_use;
    segment_of(page)->retired_ms[page - segment_of(page)->pages].store(monotonic_ms(), std::memory_order_relaxed);
    page->purge.store(purge_waiting, std::memory_order_release);
    if (heap.dirty_pages > purge_now_pages) purge_dirty_pages(heap);
}

// Takes a page with no room off its class list; other threads' frees into it will queue it on
// `noticed` (PG4). Dekker-style with remote_free: either this sees the block they pushed, or
// they see notice_wanted; when both do, whoever wins wanted -> idle / wanted -> queued acts.
// false when the page turned out to have room after all (it stays on the list).
[[gnu::hot]] bool set_aside_full(slab_heap& heap, slab_page* page) noexcept {
    notice_state expected = notice_idle;
    if (page->notice.compare_exchange_strong(expected, notice_wanted, std::memory_order_seq_cst) &&
        page->remote.load(std::memory_order_seq_cst) != nullptr) {
        expected = notice_wanted;
        if (page->notice.compare_exchange_strong(expected, notice_idle, std::memory_order_seq_cst)) {
            collect_remote(page);
            return false;
        }
    }
    // Still queued from an earlier time it was full, or queued just now: the drain brings it back.
    unlink(heap.lists[list_of(page)], page);
    page->full = true;
    return true;
}

[[gnu::hot, gnu::noinline]] void* allocate_slow(slab_heap& heap, std::size_t list) noexcept {
    drain_noticed(heap);  // before set_aside_full: a page is never queued twice
    for (slab_page* page = heap.lists[list]; page != nullptr;) {
        slab_page* next = page->next;
        if (page->free == nullptr) collect_remote(page);
        if (has_room(page) || !set_aside_full(heap, page)) {
            if (page != heap.lists[list]) {
                unlink(heap.lists[list], page);
                push_front(heap.lists[list], page);
            }
            return take_block(page);
        }
        page = next;
    }
    slab_page* fresh = start_page(heap, list);
    return fresh == nullptr ? nullptr : take_block(fresh);
}

// After the push the owner may collect the block and even retire and reuse the page before the
// notice below is looked at; a notice for such a page is harmless (the drain only unfulls a page
// that is full), and its descriptor is still there (segments are never unmapped).
[[gnu::hot, gnu::noinline]] void remote_free(slab_page* page, void* block) noexcept {
    void* head = page->remote.load(std::memory_order_relaxed);
    do {
        freed_block::link(block, head);
    } while (!page->remote.compare_exchange_weak(head, block, std::memory_order_seq_cst, std::memory_order_relaxed));
    if (page->notice.load(std::memory_order_seq_cst) != notice_wanted) return;
    notice_state expected = notice_wanted;
    if (!page->notice.compare_exchange_strong(expected, notice_queued, std::memory_order_seq_cst)) return;
    slab_heap* owner = segment_of(page)->owner;
    slab_page* top = owner->noticed.load(std::memory_order_relaxed);
    do {
        page->next_noticed = top;
    } while (!owner->noticed.compare_exchange_weak(top, page, std::memory_order_release, std::memory_order_relaxed));
}

[[gnu::hot]] void local_free(slab_heap& heap, slab_page* page, void* block) noexcept {
    freed_block::link(block, page->local_free);
    page->local_free = block;
    set_owned(page->used, static_cast<std::uint16_t>(page->used - 1));
    if (page->full) {
        page->full = false;
        notice_state expected = notice_wanted;  // a queued page stays queued: the drain skips it
        page->notice.compare_exchange_strong(expected, notice_idle, std::memory_order_seq_cst);
        insert_with_room(heap, page);
    }
    // No wake of the purge thread from here: glibc frees a thread's TLS vector under its stack
    // cache lock, which creating a thread takes (a purge thread already running still sees these
    // pages; without one, purge_now_pages bounds what an idle thread keeps).
    if (page->used == 0 && heap.lists[list_of(page)] != page) retire_page(heap, page);
}

// The page of a pointer in a mapped segment and its block's index there, or nullptr when it is no
// block's start. offset * reciprocal >> 32 is offset / block_bytes exactly, since offset *
// block_bytes < 2^32 (a division costs more than the rest of free).
[[gnu::always_inline]] inline slab_page* page_of_block_or_null(const void* pointer, std::uint32_t* block_index) noexcept {
    slab_segment* segment = segment_of(pointer);
    const std::size_t index = page_index(segment, pointer);
    slab_page* page = &segment->pages[index];
    const auto offset = static_cast<std::uint32_t>(address_of(pointer) % slab_page_bytes);
    const auto block = static_cast<std::uint32_t>(std::uint64_t{offset} * page->block_reciprocal >> 32);
    if (index == 0 || page->block_bytes == 0 || block * page->block_bytes != offset) return nullptr;
    *block_index = block;
    return page;
}

// The same, or the end of the program with the verdict of `what`.
[[gnu::always_inline]] inline slab_page* page_of_block(const void* pointer, misuse what) noexcept {
    std::uint32_t block = 0;
    slab_page* page = page_of_block_or_null(pointer, &block);
    if (page == nullptr) fatal(what, pointer);
    return page;
}

// The page of the live block at `pointer`, or the end of the program with the verdict of `what`
// (a pointer that is no block's start, or a block on a list: freed, or carved and never handed out).
[[gnu::always_inline]] inline const slab_page* live_page(const void* pointer, misuse what) noexcept {
    const slab_page* page = page_of_block(pointer, what);
    if (freed_block::is_listed(pointer)) fatal(what, pointer);
    return page;
}

// Ends the program with the mismatched-free line when `family` did not allocate the blocks of `page`.
[[gnu::always_inline]] inline void check_family(const slab_page* page, allocation_kind family, const void* pointer) noexcept {
    if (page->family != static_cast<std::uint8_t>(family))
        fatal_mismatched(static_cast<allocation_kind>(page->family), family, pointer);
}

// A heap for a thread's first slab allocation: a spare one from an exited thread, or a new one.
[[gnu::hot, gnu::noinline]] slab_heap* acquire_heap() noexcept {
    pthread_mutex_lock(&heaps_mutex);
    freed_block::make_secret();
    slab_heap* heap = spare_heaps;
    if (heap != nullptr) {
        spare_heaps = heap->next_spare;
    } else {
        void* memory = os_memory::map_aligned(os_memory::round_up_to_pages(sizeof(slab_heap)), os_memory::page_bytes());
        if (memory != nullptr) heap = new (memory) slab_heap();
    }
    pthread_mutex_unlock(&heaps_mutex);
    return heap;
}

// Makes the thread's exit hand its heap on (once the caller has made the exit key).
[[gnu::hot]] void register_exit(slab_heap& heap) noexcept {
    const unsigned key = exit_key.load(std::memory_order_relaxed);
    if (key != ~0u) pthread_setspecific(static_cast<pthread_key_t>(key), &heap);
    heap.exit_registered = key != ~0u;
}

const char* validate_page(const slab_heap& heap, slab_page* page) noexcept {
    if (page->block_bytes == 0) return page->notice.load() == notice_wanted ? "PG4: an unused page waits for a notice" : nullptr;
    if (page->block_bytes != size_class_bytes(page->klass)) return "PG1: a page's block size does not match its class";
    if (page->carved > capacity_of(page->klass)) return "PG1: carved beyond capacity";
    const std::byte* start = page_start(page);
    const std::byte* carved_end = start + std::size_t{page->carved} * page->block_bytes;
    std::size_t on_lists = 0;
    for (void* list : {page->free, page->local_free}) {
        for (void* block = list; block != nullptr; block = next_of(block), ++on_lists) {
            const auto* at = static_cast<const std::byte*>(block);
            if (at < start || at >= carved_end || static_cast<std::size_t>(at - start) % page->block_bytes != 0 ||
                !(list == page->free ? freed_block::is_listed(block) : is_freed(block)))
                return "PG2: a free block is not a freed (or, on `free`, fresh) block of its page";
            if (on_lists > page->carved) return "PG1: the free lists are longer than the carved blocks (a cycle)";
        }
    }
    if (page->carved != page->used + on_lists) return "PG1: carved != used + |free| + |local_free|";
    std::size_t remote = 0;
    for (void* block = page->remote.load(std::memory_order_acquire); block != nullptr; block = next_of(block)) {
        if (!is_freed(block)) return "PG2: a remotely freed block lacks the freed key";
        if (++remote > page->used) return "PG1: more blocks freed remotely than are out";
    }
    if (page->notice.load() == notice_wanted && !page->full) return "PG4: a page with room waits for a notice";
    bool listed = false;
    for (const slab_page* at = heap.lists[list_of(page)]; at != nullptr; at = at->next) listed = listed || at == page;
    if (listed == page->full) return "PG3: a page in use is listed and full, or neither";
    return nullptr;
}

}  // namespace

[[gnu::hot]] bool slab_owns(const void* pointer) noexcept {
    const std::uintptr_t address = address_of(pointer);
    if (address >= os_memory::user_address_end) return false;
    const std::size_t slot = address / segment_bytes;
    return (segment_map[slot / 64].load(std::memory_order_relaxed) >> (slot % 64) & 1) != 0;
}

[[gnu::hot]] void* slab_allocate(std::size_t klass, allocation_kind family) noexcept {
    const std::size_t list = list_of(klass, family);
    slab_heap* heap = current_heap;
    if (heap == nullptr) {
        heap = acquire_heap();
        if (heap == nullptr) return nullptr;
        current_heap = heap;
        register_exit(*heap);  // now: a heap handed on may serve every call from its fast path
    } else if (heap == exited_thread()) {
        return nullptr;
    }
    if (slab_page* page = heap->lists[list]; page != nullptr && has_room(page)) return take_block(page);
    if (!heap->exit_registered) register_exit(*heap);  // the key did not exist yet at the thread's first call
    return allocate_slow(*heap, list);
}

[[gnu::hot]] void* slab_allocate_fast(std::size_t klass, allocation_kind family) noexcept {
    slab_heap* heap = current_heap;
    if (address_of(heap) <= address_of(exited_thread())) return nullptr;  // no heap yet, or the thread has exited
    slab_page* page = heap->lists[list_of(klass, family)];
    if (page == nullptr || (page->free == nullptr && !take_local_free(page)))
        return nullptr;  // carving, collecting: slab_allocate
    return take_block(page);
}

[[gnu::hot]] bool slab_free_fast(void* pointer, allocation_kind family) noexcept {
    if (!slab_owns(pointer)) return false;
    slab_segment* segment = segment_of(pointer);
    if (segment->owner != current_heap) return false;  // another thread's page, or no heap yet
    std::uint32_t block = 0;
    slab_page* page = page_of_block_or_null(pointer, &block);
    if (page == nullptr || block >= page->carved) return false;
    if (page->family != static_cast<std::uint8_t>(family)) return false;            // a verdict to give
    if (page->full || page->used <= 1) return false;                                // a list to change
    if (!freed_block::link_unless_listed(pointer, page->local_free)) return false;  // a verdict to give
    page->local_free = pointer;
    set_owned(page->used, static_cast<std::uint16_t>(page->used - 1));
    return true;
}

[[gnu::hot]] std::size_t slab_free(void* pointer, allocation_kind family) noexcept {
    slab_page* page = page_of_block(pointer, misuse::foreign_free);
    if (freed_block::is_listed(pointer))
        fatal(freed_block::is_fresh(pointer) ? misuse::foreign_free : misuse::double_free, pointer);
    check_family(page, family, pointer);
    const std::size_t bytes = page->block_bytes;
    slab_heap* heap = current_heap;
    if (segment_of(page)->owner == heap) {
        if (pointer >= page_start(page) + std::size_t{page->carved} * bytes) fatal(misuse::foreign_free, pointer);
        local_free(*heap, page, pointer);
    } else {
        remote_free(page, pointer);  // checked against `carved` when the owner collects it
    }
    return bytes;
}

[[gnu::hot]] std::size_t slab_block_bytes(const void* pointer, misuse what) noexcept {
    return live_page(pointer, what)->block_bytes;
}

[[gnu::hot]] std::size_t slab_realloc_bytes(const void* pointer) noexcept {
    const slab_page* page = live_page(pointer, misuse::realloc_of_freed);
    check_family(page, allocation_kind::malloc, pointer);  // realloc is of the free family
    return page->block_bytes;
}

void slab_set_exit_key(unsigned key) noexcept { exit_key.store(key, std::memory_order_relaxed); }

// For a heap no thread allocates from (its thread is exiting, or it is spare and held by the
// purge thread): collects what other threads freed into its pages, retires every page that
// empties (even the one allocated from) and gives their memory back. The blocks collected, and
// whether pages with blocks out remain.
struct collected {
    std::size_t blocks = 0;
    bool pages_in_use = false;
};
collected collect_and_retire(slab_heap& heap) noexcept {
    collected result;
    drain_noticed(heap);
    for (slab_page*& head : heap.lists) {
        for (slab_page* page = head; page != nullptr;) {
            slab_page* next = page->next;
            result.blocks += collect_remote(page);
            if (page->used == 0) retire_page(heap, page);
            page = next;
        }
    }
    purge_dirty_pages(heap);
    for (const slab_segment* segment = heap.segments; segment != nullptr; segment = segment->next)
        result.pages_in_use = result.pages_in_use || segment->pages_in_use != 0;
    return result;
}

void slab_abandon_thread(void*) noexcept {
    slab_heap* heap = current_heap;
    if (heap == nullptr || heap == exited_thread()) return;
    const bool blocks_out = collect_and_retire(*heap).pages_in_use;
    heap->exit_registered = false;
    heap->quiet_rounds_left = abandoned_quiet_rounds;
    current_heap = exited_thread();
    pthread_mutex_lock(&heaps_mutex);
    heap->next_spare = spare_heaps;
    spare_heaps = heap;
    pthread_mutex_unlock(&heaps_mutex);
    // Blocks still out may be freed by other threads later: the purge thread collects them.
    if (blocks_out)
        if (void (*wake)() noexcept = purge_waker.load(std::memory_order_relaxed)) wake();
}

// Under heaps_mutex throughout, as slab_purge_aged: fork holds it too, so a child never inherits
// a spare heap held here halfway through.
bool slab_collect_abandoned() noexcept {
    pthread_mutex_lock(&heaps_mutex);
    bool more_may_come = false;
    for (slab_heap* heap = spare_heaps; heap != nullptr; heap = heap->next_spare) {
        const collected found = collect_and_retire(*heap);
        if (found.blocks != 0) heap->quiet_rounds_left = abandoned_quiet_rounds;
        if (found.pages_in_use && heap->quiet_rounds_left != 0) {
            --heap->quiet_rounds_left;
            more_may_come = true;
        }
    }
    pthread_mutex_unlock(&heaps_mutex);
    return more_may_come;
}

void slab_lock_for_fork() noexcept { pthread_mutex_lock(&heaps_mutex); }
void slab_unlock_after_fork() noexcept { pthread_mutex_unlock(&heaps_mutex); }

slab_totals slab_census() noexcept {
    slab_totals totals;
    for (const slab_segment* segment = all_segments.load(std::memory_order_acquire); segment != nullptr;
         segment = segment->next_in_process) {
        totals.mapped_bytes += segment_bytes;
        for (std::size_t index = 1; index < pages_per_segment; ++index) {
            const slab_page& page = segment->pages[index];
            const std::uint16_t block_bytes = read_owned(page.block_bytes);
            if (block_bytes == 0) continue;
            ++totals.in_use_pages;
            totals.in_use_bytes += std::size_t{read_owned(page.used)} * block_bytes;
        }
    }
    return totals;
}

void slab_set_purge_waker(void (*wake)() noexcept) noexcept { purge_waker.store(wake, std::memory_order_relaxed); }

// Under heaps_mutex, which fork holds across it: a fork child never inherits a page left
// purge_running by a purge thread that does not exist there (its owner would wait for it forever).
bool slab_purge_aged(std::uint32_t age_ms) noexcept {
    bool waiting = false;
    pthread_mutex_lock(&heaps_mutex);
    const std::uint32_t now = monotonic_ms();
    for (slab_segment* segment = all_segments.load(std::memory_order_acquire); segment != nullptr;
         segment = segment->next_in_process) {
        for (std::size_t index = 1; index < pages_per_segment; ++index) {
            slab_page& page = segment->pages[index];
            if (page.purge.load(std::memory_order_relaxed) != purge_waiting) continue;
            if (now - segment->retired_ms[index].load(std::memory_order_relaxed) < age_ms) {
                waiting = true;
                continue;
            }
            purge_state expected = purge_waiting;
            if (!page.purge.compare_exchange_strong(expected, purge_running, std::memory_order_acquire)) continue;
            os_memory::discard(page_start(&page), slab_page_bytes);
            page.purge.store(purge_none, std::memory_order_release);
        }
    }
    pthread_mutex_unlock(&heaps_mutex);
    return waiting;
}

std::size_t slab_trim() noexcept {
    slab_heap* heap = current_heap;
    if (heap == nullptr || heap == exited_thread()) return 0;
    const std::size_t bytes = heap->dirty_pages * slab_page_bytes;
    purge_dirty_pages(*heap);
    return bytes;
}

const char* slab_validate() noexcept {
    slab_heap* heap = current_heap;
    if (heap == nullptr || heap == exited_thread()) return nullptr;
    std::size_t listed_unused = 0;
    std::size_t dirty = 0;
    bool clean_seen = false;
    for (const slab_page* page = heap->free_pages; page != nullptr; page = page->next, ++listed_unused) {
        if (page->block_bytes != 0) return "PG3: a page in use is on the unused list";
        if (page->next != nullptr && page->next->previous != page) return "HP2: the unused list's links disagree";
        if (page->dirty && clean_seen) return "HP2: a dirty unused page after a clean one";
        clean_seen = clean_seen || !page->dirty;
        dirty += page->dirty ? 1 : 0;
    }
    if (dirty != heap->dirty_pages) return "HP2: dirty_pages does not count the dirty unused pages";
    for (std::size_t list = 0; list < list_count; ++list) {
        for (const slab_page* page = heap->lists[list]; page != nullptr; page = page->next) {
            if (list_of(page) != list || page->block_bytes == 0 || page->full)
                return "HP1: a class list holds a page of another class or family, unused or full";
            if (page->next != nullptr && page->next->previous != page) return "HP1: a class list's links disagree";
        }
    }
    std::size_t unused = 0;
    for (slab_segment* segment = heap->segments; segment != nullptr; segment = segment->next) {
        if (segment->owner != heap || !slab_owns(segment)) return "SG1/SG2: a segment of another heap, or missing from the map";
        std::size_t in_use = 0;
        if (segment->accessible_pages < 1 || segment->accessible_pages > pages_per_segment)
            return "SG3: accessible_pages is out of range";
        for (std::size_t i = 1; i < pages_per_segment; ++i) {
            slab_page* page = &segment->pages[i];
            if (const char* broken = validate_page(*heap, page)) return broken;
            in_use += page->block_bytes != 0 ? 1 : 0;
            if (page->block_bytes != 0 && i >= segment->accessible_pages) return "SG3: a page in use is not accessible";
        }
        if (in_use != segment->pages_in_use) return "SG1: pages_in_use does not count the pages in use";
        unused += pages_per_segment - 1 - in_use;
    }
    if (unused != listed_unused) return "PG3: the unused list does not hold exactly the unused pages";
    return nullptr;
}

}  // namespace heapkit::malloc_layer
