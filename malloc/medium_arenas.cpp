// SPDX-License-Identifier: MIT
// The arenas: static storage for arena_count boundary-tag heaps and their locks, the region table,
// the choice of arena per thread, and returning pages after a peak.
#include "medium_arenas.hpp"

#include <pthread.h>

#include <atomic>
#include <climits>
#include <cstdint>
#include <iterator>
#include <new>

#include "background_purge.hpp"
#include "environment.hpp"
#include "fatal.hpp"
#include "heap_region.hpp"
#include "heapkit/heap/boundary_tag_heap.hpp"
#include "heapkit/heap/detail/os.hpp"
#include "os_memory.hpp"

namespace heapkit::malloc_layer {

namespace {

constexpr std::size_t arena_count = 8;                       // may be tuned: at most 255
constexpr std::size_t region_bytes = std::size_t{64} << 20;  // a region's size, alignment and table granule

// The arenas threads are dealt: HEAPKIT_ARENAS of the arena_count (all by default).
std::size_t arenas_used() noexcept { return settings().arenas < arena_count ? settings().arenas : arena_count; }

// Returning memory after a peak: once trim_every_bytes have been freed in an arena since its last
// trim and HEAPKIT_PURGE_DELAY_MS (a second by default) has passed since that trim, the pages inside every free block of at least trim_min_block_bytes go back to the
// kernel (MADV_DONTNEED: the next touch maps a zero page), so RSS comes down. The wait keeps
// memory that a program frees and takes again at once (a realloc loop) from being returned and
// faulted back in every time: realloc_growth ran 3x slower with trims after every 32 MiB.
constexpr std::size_t trim_every_bytes = std::size_t{32} << 20;       // may be tuned
constexpr std::size_t trim_min_block_bytes = std::size_t{256} << 10;  // may be tuned
// Freed bytes at which an arena wakes the purge thread, which trims them once they have stayed a
// second, so that an idle program's memory comes back too (background_purge.hpp).
constexpr std::size_t purge_wake_bytes = std::size_t{2} << 20;  // may be tuned

// AR1: every region of an arena's heap has its table slots set to that arena's number, and a
// slot names an arena only when that arena's heap holds the slot's memory.
struct arena {
    pthread_mutex_t mutex = PTHREAD_MUTEX_INITIALIZER;                                 // guards everything below
    alignas(boundary_tag_heap) unsigned char storage[sizeof(boundary_tag_heap)] = {};  // = {}: else not constinit
    bool built = false;                                                                // storage holds the heap
    std::size_t freed_since_trim = 0;
    std::int64_t next_trim_ms = 0;  // os::monotonic_milliseconds() from which a trim may run (0: any time)

    boundary_tag_heap& heap() noexcept {
        if (!built) {
            new (storage) boundary_tag_heap(arena_tag);
            built = true;
        }
        return *std::launder(reinterpret_cast<boundary_tag_heap*>(storage));
    }
};
// constinit: a dynamic initialiser would run after the libraries loaded before it have already
// allocated here (libstdc++'s emergency pool), and wipe their arena. All zero, so in .bss: a
// process maps a page of it only when an arena on that page is used.
constinit arena arenas[arena_count];

// The arena number (index + 1; 0: none) of every 64 MiB of the 47-bit address space: 2 MiB of
// zero pages, touched only where regions are.
constinit std::atomic<std::uint8_t> region_arena[os_memory::user_address_end / region_bytes];

constinit std::atomic<unsigned> arenas_dealt{0};
__attribute__((tls_model("initial-exec"))) thread_local std::uint8_t thread_arena = 0;  // number, 0: none yet

// Unlocks an arena locked by lock_thread_arena or lock_arena_of when the scope ends.
class unlock_at_exit {
public:
    explicit unlock_at_exit(arena& locked) noexcept : locked_(locked) {}
    ~unlock_at_exit() { pthread_mutex_unlock(&locked_.mutex); }
    unlock_at_exit(const unlock_at_exit&) = delete;
    unlock_at_exit& operator=(const unlock_at_exit&) = delete;

private:
    arena& locked_;
};

std::size_t number_of(const arena& which) noexcept { return static_cast<std::size_t>(&which - arenas) + 1; }

// The calling thread's arena, locked: its own when free, else the first free other one (which
// becomes its own), else its own after waiting.
[[gnu::hot]] arena& lock_thread_arena() noexcept {
    std::size_t mine = thread_arena;
    if (mine == 0) {
        mine = arenas_dealt.fetch_add(1, std::memory_order_relaxed) % arenas_used() + 1;
        thread_arena = static_cast<std::uint8_t>(mine);
    }
    arena& own = arenas[mine - 1];
    if (pthread_mutex_trylock(&own.mutex) == 0) return own;
    for (std::size_t index = 0; index < arenas_used(); ++index) {
        arena& other = arenas[index];
        if (&other != &own && pthread_mutex_trylock(&other.mutex) == 0) {
            thread_arena = static_cast<std::uint8_t>(number_of(other));
            return other;
        }
    }
    pthread_mutex_lock(&own.mutex);
    return own;
}

// The arena whose region holds `pointer` (arena_owns), locked.
[[gnu::hot]] arena& lock_arena_of(const void* pointer) noexcept {
    arena& owner =
        arenas[region_arena[reinterpret_cast<std::uintptr_t>(pointer) / region_bytes].load(std::memory_order_acquire) - 1];
    pthread_mutex_lock(&owner.mutex);
    return owner;
}

// Adds a region big enough for `size` at `alignment` to the locked arena; false when the kernel
// refuses (map_heap_region keeps it inside the table).
[[gnu::hot]] bool grow(arena& locked, std::size_t size, std::size_t alignment) noexcept {
    const std::span<std::byte> region = map_heap_region(size, alignment, region_bytes, region_bytes);
    if (region.empty()) return false;
    const auto start = reinterpret_cast<std::uintptr_t>(region.data());
    locked.heap().add_region(region);  // cannot throw: the region is large
    for (std::uintptr_t slot = start / region_bytes; slot < (start + region.size()) / region_bytes; ++slot) {
        region_arena[slot].store(static_cast<std::uint8_t>(number_of(locked)), std::memory_order_release);
    }
    return true;
}

// Gives the pages back; a non-null `released` (a std::size_t) counts their bytes.
void release_pages(void* released, std::byte* start, std::size_t bytes) {
    os_memory::discard(start, bytes);
    if (released != nullptr) *static_cast<std::size_t*>(released) += bytes;
}

// Gives back the pages of the locked arena's large free blocks, now.
void trim(arena& locked, std::int64_t now) noexcept {
    locked.next_trim_ms = now + settings().purge_delay_ms;
    locked.freed_since_trim = 0;
    locked.heap().for_each_free_span(trim_min_block_bytes, release_pages, nullptr);
}

// Counts `bytes` freed and trims when it is time; with 0, only trims when it is time (an
// allocation, so that a program whose frees all stop in thread caches still gets its pages back).
// Whether freed bytes wait that the purge thread should see to (wake it after unlocking).
[[gnu::hot]] bool note_freed(arena& locked, std::size_t bytes) noexcept {
    locked.freed_since_trim += bytes;
    if (locked.freed_since_trim < trim_every_bytes) return locked.freed_since_trim >= purge_wake_bytes;
    const std::int64_t now = os::monotonic_milliseconds();
    if (now < locked.next_trim_ms) return true;
    trim(locked, now);
    return false;
}

}  // namespace

[[gnu::hot]] void* arena_allocate(std::size_t size, std::size_t alignment) noexcept {
    arena& place = lock_thread_arena();
    const unlock_at_exit unlock(place);
    note_freed(place, 0);
    void* pointer = place.heap().try_allocate(size, alignment);
    if (pointer == nullptr && grow(place, size, alignment)) pointer = place.heap().try_allocate(size, alignment);
    return pointer;
}

[[gnu::hot]] bool arena_owns(const void* pointer) noexcept {
    const auto address = reinterpret_cast<std::uintptr_t>(pointer);
    return address < os_memory::user_address_end && region_arena[address / region_bytes].load(std::memory_order_relaxed) != 0;
}

[[gnu::hot]] std::size_t arena_free(void* pointer) noexcept {
    std::size_t bytes = 0;
    bool purge_later = false;
    {
        arena& owner = lock_arena_of(pointer);
        const unlock_at_exit unlock(owner);
        bytes = boundary_tag_heap::usable_size(pointer);  // read before the block goes
        if (const errc why = owner.heap().try_deallocate(pointer); why != errc::ok) {
            if (why == errc::invalid_free && owner.heap().was_freed(pointer)) fatal(misuse::double_free, pointer);
            // A live block's header but for its tag (its top bytes, right before the pointer); a
            // pointer that is not a block's start by its alignment has no header to blame.
            const bool readable =
                why == errc::invalid_free && reinterpret_cast<std::uintptr_t>(pointer) % boundary_tag_heap::alignment_bytes == 0;
            const auto tag = readable ? boundary_tag_heap::owner_tag(pointer) : arena_tag;
            const bool overwritten = tag != arena_tag && boundary_tag_heap::header_says_live(pointer, tag);
            fatal(overwritten ? misuse::header_overwritten : misuse::foreign_free, pointer);
        }
        purge_later = note_freed(owner, bytes);
    }
    if (purge_later) wake_background_purge();
    return bytes;
}

[[gnu::hot]] std::size_t arena_live_usable_size(void* pointer) noexcept {
    arena& owner = lock_arena_of(pointer);
    const unlock_at_exit unlock(owner);
    if (!owner.heap().is_live(pointer)) fatal(misuse::realloc_of_freed, pointer);
    return boundary_tag_heap::usable_size(pointer);
}

[[gnu::hot]] void* arena_reallocate(void* pointer, std::size_t size) noexcept {
    arena& owner = lock_arena_of(pointer);
    const unlock_at_exit unlock(owner);
    if (!owner.heap().is_live(pointer)) fatal(misuse::realloc_of_freed, pointer);
    void* resized = owner.heap().try_reallocate(pointer, size);
    if (resized == nullptr && grow(owner, size, boundary_tag_heap::alignment_bytes))
        resized = owner.heap().try_reallocate(pointer, size);
    return resized;
}

void lock_arenas() noexcept {
    for (arena& each : arenas) pthread_mutex_lock(&each.mutex);
}

void unlock_arenas() noexcept {
    for (arena& each : arenas) pthread_mutex_unlock(&each.mutex);
}

arena_totals arena_census() noexcept {
    arena_totals totals;
    for (arena& each : arenas) {
        pthread_mutex_lock(&each.mutex);
        const unlock_at_exit unlock(each);
        if (!each.built) continue;
        const heap_stats counted = each.heap().stats();
        totals.mapped_bytes += counted.capacity_bytes;
        totals.in_use_bytes += counted.in_use_bytes;
        totals.free_bytes += counted.free_bytes;
        totals.free_blocks += counted.free_block_count;
    }
    return totals;
}

std::size_t arena_trim() noexcept {
    std::size_t released = 0;
    for (arena& each : arenas) {
        pthread_mutex_lock(&each.mutex);
        const unlock_at_exit unlock(each);
        if (!each.built) continue;
        each.heap().flush_quick_lists();
        each.heap().for_each_free_span(os_memory::page_bytes(), release_pages, &released);
        each.freed_since_trim = 0;
    }
    return released;
}

bool arena_trim_idle() noexcept {
    bool waiting = false;
    const std::int64_t now = os::monotonic_milliseconds();
    for (arena& each : arenas) {
        if (pthread_mutex_trylock(&each.mutex) != 0) {
            waiting = true;  // busy: its own calls trim it, or the next round does
            continue;
        }
        const unlock_at_exit unlock(each);
        if (!each.built || each.freed_since_trim == 0) continue;
        if (now < each.next_trim_ms)
            waiting = true;
        else
            trim(each, now);
    }
    return waiting;
}

const char* arenas_validate() noexcept {
    for (arena& each : arenas) {
        pthread_mutex_lock(&each.mutex);
        const unlock_at_exit unlock(each);
        if (!each.built) continue;
        try {
            each.heap().validate();
        } catch (...) {
            return "an arena's boundary-tag heap fails its validate()";
        }
    }
    for (std::uintptr_t slot = 0; slot < std::size(region_arena); ++slot) {  // AR1, from the table's side
        const std::size_t number = region_arena[slot].load(std::memory_order_acquire);
        if (number == 0) continue;
        arena& owner = arenas[number - 1];
        pthread_mutex_lock(&owner.mutex);
        const unlock_at_exit unlock(owner);
        if (!owner.built || !owner.heap().owns(reinterpret_cast<const void*>(slot * region_bytes + region_bytes / 2)))
            return "AR1: a region table slot names an arena that does not hold that memory";
    }
    return nullptr;
}

}  // namespace heapkit::malloc_layer
