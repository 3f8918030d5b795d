// SPDX-License-Identifier: MIT
// The process heap: lazy construction in static storage, region growth by mmap, fork handlers.
#include "process_heap.hpp"

#include <pthread.h>
#include <sys/mman.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <new>

#include "fatal.hpp"
#include "heapkit/heap/boundary_tag_heap.hpp"
#include "large_blocks.hpp"

namespace heapkit::malloc_layer {

namespace {

constexpr std::size_t region_bytes = std::size_t{64} << 20;

pthread_mutex_t heap_mutex = PTHREAD_MUTEX_INITIALIZER;  // guards the heap
alignas(boundary_tag_heap) unsigned char heap_storage[sizeof(boundary_tag_heap)];
std::atomic<bool> heap_built{false};  // written under heap_mutex

void lock_for_fork() noexcept { pthread_mutex_lock(&heap_mutex); }
void unlock_after_fork() noexcept { pthread_mutex_unlock(&heap_mutex); }

// The heap, built on the first call; call with heap_mutex held.
boundary_tag_heap& heap() noexcept {
    if (!heap_built.load(std::memory_order_relaxed)) {
        new (heap_storage) boundary_tag_heap();
        heap_built.store(true, std::memory_order_relaxed);
    }
    return *std::launder(reinterpret_cast<boundary_tag_heap*>(heap_storage));
}

// Registered once, after the first allocation, outside the lock: pthread_atfork may allocate.
void register_fork_handlers() noexcept {
    static std::atomic<bool> registered{false};
    if (!registered.exchange(true)) pthread_atfork(lock_for_fork, unlock_after_fork, unlock_after_fork);
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
    const std::size_t needed = size + alignment + boundary_tag_heap::region_overhead_bytes + 2 * boundary_tag_heap::min_block_bytes;
    const std::size_t bytes = needed > region_bytes ? needed : region_bytes;
    void* memory = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (memory == MAP_FAILED) return false;
    process.add_region({static_cast<std::byte*>(memory), bytes});  // cannot throw: the region is large
    return true;
}

}  // namespace

void* allocate(std::size_t size, std::size_t alignment) noexcept {
    void* pointer = nullptr;
    if (size >= large_threshold_bytes) {
        pointer = allocate_large(size, alignment);
    } else {
        {
            const heap_lock hold;
            boundary_tag_heap& process = heap();
            pointer = process.try_allocate(size, alignment);
            if (pointer == nullptr && grow(process, size, alignment)) pointer = process.try_allocate(size, alignment);
        }
        register_fork_handlers();
    }
    if (pointer == nullptr) errno = ENOMEM;
    return pointer;
}

void deallocate(void* pointer) noexcept {
    if (pointer == nullptr) return;
    {
        const heap_lock hold;
        boundary_tag_heap& process = heap();
        if (process.owns(pointer)) {
            if (process.try_deallocate(pointer) != errc::ok) fatal("double free of", pointer);
            return;
        }
    }
    if (!is_large(pointer)) fatal("free of a pointer heapkit never handed out:", pointer);
    free_large(pointer);
}

void* reallocate(void* pointer, std::size_t size) noexcept {
    std::size_t old_usable = 0;
    {
        const heap_lock hold;
        boundary_tag_heap& process = heap();
        if (process.owns(pointer)) {
            if (!process.is_live(pointer)) fatal("realloc of a block that is not live:", pointer);
            if (size < large_threshold_bytes) {
                void* resized = process.try_reallocate(pointer, size);
                if (resized == nullptr && grow(process, size, boundary_tag_heap::alignment_bytes))
                    resized = process.try_reallocate(pointer, size);
                if (resized == nullptr) errno = ENOMEM;
                return resized;
            }
            old_usable = boundary_tag_heap::usable_size(pointer);
        }
    }
    if (old_usable != 0) {  // a heap block becoming large: copy it into a mapping of its own
        void* moved = allocate_large(size, boundary_tag_heap::alignment_bytes);
        if (moved == nullptr) {
            errno = ENOMEM;
            return nullptr;
        }
        std::memcpy(moved, pointer, old_usable);
        deallocate(pointer);
        return moved;
    }
    if (!is_large(pointer)) fatal("realloc of a pointer heapkit never handed out:", pointer);
    if (size >= large_threshold_bytes) {
        void* resized = reallocate_large(pointer, size);
        if (resized == nullptr) errno = ENOMEM;
        return resized;
    }
    void* moved = allocate(size, boundary_tag_heap::alignment_bytes);  // small again: back into the heap
    if (moved == nullptr) return nullptr;
    std::memcpy(moved, pointer, size);
    free_large(pointer);
    return moved;
}

std::size_t usable_size(const void* pointer) noexcept {
    {
        const heap_lock hold;
        if (heap().owns(pointer)) return boundary_tag_heap::usable_size(pointer);
    }
    return is_large(pointer) ? large_usable_size(pointer) : 0;
}

}  // namespace heapkit::malloc_layer
