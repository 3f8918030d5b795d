// SPDX-License-Identifier: MIT
// The process heap: slabs in front, lazy construction in static storage, region growth by mmap,
// returning pages after a peak, fork and thread-exit handlers.
#include "process_heap.hpp"

#include <pthread.h>
#include <sys/mman.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <new>

#include "debug_mode.hpp"
#include "fatal.hpp"
#include "heap_region.hpp"
#include "heapkit/heap/boundary_tag_heap.hpp"
#include "heapkit/heap/detail/os.hpp"
#include "large_blocks.hpp"
#include "recorder.hpp"
#include "size_classes.hpp"
#include "slab_heap.hpp"

namespace heapkit::malloc_layer {

namespace {

constexpr std::size_t region_bytes = std::size_t{64} << 20;

pthread_mutex_t heap_mutex = PTHREAD_MUTEX_INITIALIZER;  // guards the heap
alignas(boundary_tag_heap) unsigned char heap_storage[sizeof(boundary_tag_heap)];
std::atomic<bool> heap_built{false};  // written under heap_mutex

// recording() as first asked (-1: not yet, 0 off, 1 on), read inline on the hot path
// (recording() is a call); debug mode asks recording() itself.
std::atomic<int> recording_state{-1};

void lock_for_fork() noexcept {
    lock_debug();
    slab_lock_for_fork();
    pthread_mutex_lock(&heap_mutex);
    lock_large_cache();
}
void unlock_in_parent() noexcept {
    unlock_large_cache();
    pthread_mutex_unlock(&heap_mutex);
    slab_unlock_after_fork();
    unlock_debug();
}
void unlock_in_child() noexcept {
    stop_tracing_in_child();
    unlock_large_cache();
    pthread_mutex_unlock(&heap_mutex);
    slab_unlock_after_fork();
    unlock_debug();
}

// The heap, built on the first call; call with heap_mutex held.
boundary_tag_heap& heap() noexcept {
    if (!heap_built.load(std::memory_order_relaxed)) {
        new (heap_storage) boundary_tag_heap();
        heap_built.store(true, std::memory_order_relaxed);
    }
    return *std::launder(reinterpret_cast<boundary_tag_heap*>(heap_storage));
}

// Once, after the first allocation and outside the lock, since pthread_atfork and atexit may
// allocate: the fork handlers and the work at exit.
void after_first_use() noexcept {
    static std::atomic<bool> done{false};
    if (done.load(std::memory_order_relaxed) || done.exchange(true)) return;
    pthread_atfork(lock_for_fork, unlock_in_parent, unlock_in_child);
    pthread_key_t key;
    if (pthread_key_create(&key, slab_abandon_thread) == 0) slab_set_exit_key(static_cast<unsigned>(key));
    register_exit_work();
}

// The first call's work, kept out of line so that every later call inlines to one load.
[[gnu::noinline]] bool read_recording_setting() noexcept {
    const bool on = recording();
    recording_state.store(on ? 1 : 0, std::memory_order_relaxed);
    return on;
}

bool recording_enabled() noexcept {
    const int known = recording_state.load(std::memory_order_relaxed);
    return known < 0 ? read_recording_setting() : known == 1;
}

// Returning memory after a peak: once trim_every_bytes have been freed since the last time and
// the clock has moved on by trim_interval_seconds (whole seconds: at most about once a second),
// the pages inside every free block of at least trim_min_block_bytes go back to the kernel
// (MADV_DONTNEED: the next touch maps a zero page), so RSS comes down. The wait keeps memory that a program frees and takes again at once (a
// realloc loop) from being returned and faulted back in every time: realloc_growth ran 3x slower
// with trims after every 32 MiB. Called with the lock.
constexpr std::size_t trim_every_bytes = std::size_t{32} << 20;      // may be tuned
constexpr std::int64_t trim_interval_seconds = 1;                    // may be tuned
constexpr std::size_t trim_min_block_bytes = std::size_t{256} << 10;  // may be tuned
std::size_t freed_since_trim = 0;    // guarded by heap_mutex
std::int64_t last_trim_seconds = -trim_interval_seconds;  // guarded by heap_mutex

void release_pages(void*, std::byte* start, std::size_t bytes) {
    const std::uintptr_t page = os::page_bytes();
    const std::uintptr_t first = (reinterpret_cast<std::uintptr_t>(start) + page - 1) & ~(page - 1);
    const std::uintptr_t last = (reinterpret_cast<std::uintptr_t>(start) + bytes) & ~(page - 1);
    if (last > first) ::madvise(reinterpret_cast<void*>(first), last - first, MADV_DONTNEED);
}

void note_freed(boundary_tag_heap& process, std::size_t bytes) noexcept {
    freed_since_trim += bytes;
    if (freed_since_trim < trim_every_bytes) return;
    const std::int64_t now = os::monotonic_seconds();
    if (now - last_trim_seconds < trim_interval_seconds) return;
    last_trim_seconds = now;
    freed_since_trim = 0;
    process.for_each_free_span(trim_min_block_bytes, release_pages, nullptr);
}

class heap_lock {
public:
    heap_lock() noexcept { pthread_mutex_lock(&heap_mutex); }
    ~heap_lock() { pthread_mutex_unlock(&heap_mutex); }
    heap_lock(const heap_lock&) = delete;
    heap_lock& operator=(const heap_lock&) = delete;
};

// Adds a region big enough for `size` at `alignment`; false when mmap refuses.
bool grow(boundary_tag_heap& process, std::size_t size, std::size_t alignment) noexcept {
    const std::span<std::byte> region = map_heap_region(size, alignment, region_bytes);
    if (region.empty()) return false;
    process.add_region(region);  // cannot throw: the region is large
    return true;
}

// A block of a size class from the calling thread's slabs, or nullptr when the request is not
// for one or the thread has none (it has exited).
void* allocate_from_slab(std::size_t size, std::size_t alignment) noexcept {
    if (size > slab_max_bytes || alignment > slab_max_bytes) return nullptr;
    const std::size_t klass = size_class_of(size, alignment);
    void* block = slab_allocate(klass);
    if (block != nullptr) {
        after_first_use();
        if (recording_enabled()) record_allocate(block, size_class_bytes(klass), size, alignment, allocation_path::slab);
    }
    return block;
}

}  // namespace

void* allocate(std::size_t size, std::size_t alignment) noexcept {
    if (debug_enabled()) {  // every block is a debug heap block, counted as the heap's
        void* checked = debug_allocate(size, alignment);
        after_first_use();
        if (checked != nullptr && recording()) record_allocate(checked, debug_usable_size(checked), size, alignment, allocation_path::heap);
        return checked;
    }
    if (void* block = allocate_from_slab(size, alignment)) return block;
    void* pointer = nullptr;
    const bool large = size >= large_threshold_bytes;
    if (!large) {
        const heap_lock hold;
        boundary_tag_heap& process = heap();
        pointer = process.try_allocate(size, alignment);
        if (pointer == nullptr && grow(process, size, alignment)) pointer = process.try_allocate(size, alignment);
    }
    if (large) pointer = allocate_large(size, alignment);
    after_first_use();
    if (pointer == nullptr) {
        errno = ENOMEM;
    } else if (recording_enabled()) {
        const allocation_path path = large ? allocation_path::mmap : allocation_path::heap;
        record_allocate(pointer, large ? large_usable_size(pointer) : boundary_tag_heap::usable_size(pointer), size, alignment, path);
    }
    return pointer;
}

void deallocate(void* pointer) noexcept {
    if (pointer == nullptr) return;
    if (debug_enabled()) {
        if (recording()) record_free(pointer, debug_usable_size(pointer));
        return debug_deallocate(pointer);
    }
    if (slab_owns(pointer)) {
        const std::size_t bytes = slab_free(pointer);
        if (recording_enabled()) record_free(pointer, bytes);
        return;
    }
    {
        const heap_lock hold;
        boundary_tag_heap& process = heap();
        if (process.owns(pointer)) {
            const std::size_t bytes = boundary_tag_heap::usable_size(pointer);  // read before the block goes
            if (process.try_deallocate(pointer) != errc::ok) fatal("double free of", pointer);
            if (recording_enabled()) record_free(pointer, bytes);
            note_freed(process, bytes);
            return;
        }
    }
    if (!is_large(pointer)) fatal("free of a pointer heapkit never handed out:", pointer);
    if (recording_enabled()) record_free(pointer, large_usable_size(pointer));
    free_large(pointer);
}

void* reallocate(void* pointer, std::size_t size) noexcept {
    if (debug_enabled()) {
        const std::size_t before = recording() ? debug_usable_size(pointer) : 0;
        void* resized = debug_reallocate(pointer, size);
        if (resized != nullptr && recording()) record_resize(pointer, before, resized, debug_usable_size(resized), size);
        return resized;
    }
    if (slab_owns(pointer)) {
        const std::size_t bytes = slab_block_bytes(pointer, "realloc of a block that is not live:");
        if (size <= bytes && size_class_of(size) == size_class_of(bytes)) {
            if (recording_enabled()) record_resize(pointer, bytes, pointer, bytes, size);
            return pointer;
        }
        void* moved = allocate(size, boundary_tag_heap::alignment_bytes);
        if (moved == nullptr) return nullptr;
        std::memcpy(moved, pointer, size < bytes ? size : bytes);
        deallocate(pointer);
        return moved;
    }
    std::size_t old_usable = 0;
    {
        const heap_lock hold;
        boundary_tag_heap& process = heap();
        if (process.owns(pointer)) {
            if (!process.is_live(pointer)) fatal("realloc of a block that is not live:", pointer);
            if (size < large_threshold_bytes) {
                const std::size_t before = boundary_tag_heap::usable_size(pointer);
                void* resized = process.try_reallocate(pointer, size);
                if (resized == nullptr && grow(process, size, boundary_tag_heap::alignment_bytes))
                    resized = process.try_reallocate(pointer, size);
                if (resized == nullptr) {
                    errno = ENOMEM;
                } else if (recording_enabled()) {
                    record_resize(pointer, before, resized, boundary_tag_heap::usable_size(resized), size);
                }
                return resized;
            }
            old_usable = boundary_tag_heap::usable_size(pointer);
        }
    }
    if (old_usable != 0) {  // a heap block becoming large: copy it into a mapping of its own
        void* moved = allocate(size, boundary_tag_heap::alignment_bytes);
        if (moved == nullptr) return nullptr;
        std::memcpy(moved, pointer, old_usable);
        deallocate(pointer);
        return moved;
    }
    if (!is_large(pointer)) fatal("realloc of a pointer heapkit never handed out:", pointer);
    if (size >= large_threshold_bytes) {
        const std::size_t before = large_usable_size(pointer);
        void* resized = reallocate_large(pointer, size);
        if (resized == nullptr) {
            errno = ENOMEM;
        } else if (recording_enabled()) {
            record_resize(pointer, before, resized, large_usable_size(resized), size);
        }
        return resized;
    }
    void* moved = allocate(size, boundary_tag_heap::alignment_bytes);  // small again: back into the heap
    if (moved == nullptr) return nullptr;
    std::memcpy(moved, pointer, size);
    deallocate(pointer);
    return moved;
}

std::size_t usable_size(const void* pointer) noexcept {
    if (debug_enabled()) return debug_usable_size(pointer);
    if (slab_owns(pointer)) return slab_block_bytes(pointer, "malloc_usable_size of a block that is not live:");
    {
        const heap_lock hold;
        if (heap().owns(pointer)) return boundary_tag_heap::usable_size(pointer);
    }
    return is_large(pointer) ? large_usable_size(pointer) : 0;
}

const char* validate() noexcept {
    if (debug_enabled()) return nullptr;  // the debug heap checks itself on every call
    if (const char* broken = slab_validate()) return broken;
    const heap_lock hold;
    if (!heap_built.load(std::memory_order_relaxed)) return nullptr;
    try {
        heap().validate();
    } catch (...) {
        return "the boundary-tag heap fails its validate()";
    }
    return nullptr;
}

}  // namespace heapkit::malloc_layer
