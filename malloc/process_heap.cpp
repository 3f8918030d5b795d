// SPDX-License-Identifier: MIT
// The process heap: slabs, arenas and mappings chosen by size, the fork and thread-exit handlers,
// and the statistics around every call.
#include "process_heap.hpp"

#include <pthread.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstring>

#include "background_purge.hpp"
#include "debug_mode.hpp"
#include "environment.hpp"
#include "fatal.hpp"
#include "guard_pages.hpp"
#include "heapkit/heap/boundary_tag_heap.hpp"
#include "large_blocks.hpp"
#include "medium_arenas.hpp"
#include "medium_cache.hpp"
#include "recorder.hpp"
#include "reentry.hpp"
#include "slab_classes.hpp"
#include "slab_heap.hpp"
#include "thread_stacks.hpp"
#include "zero_size_blocks.hpp"

namespace heapkit::malloc_layer {

namespace {

// recording() as first asked, read inline on the hot path (recording() is a call); debug mode
// asks recording() itself.
constinit cached_flag recording_flag{recording};

void lock_for_fork() noexcept {
    lock_debug();  // before the guard pool's and the thread stacks': the leak report takes them in that order
    lock_guard_pool();
    lock_thread_stacks();
    slab_lock_for_fork();
    lock_arenas();
    lock_large_cache();
}
void unlock_in_parent() noexcept {
    unlock_large_cache();
    unlock_arenas();
    slab_unlock_after_fork();
    unlock_thread_stacks();
    unlock_guard_pool();
    unlock_debug();
}
void unlock_in_child() noexcept {
    stop_tracing_in_child();
    forget_background_purge_in_child();
    keep_only_own_thread_stack_in_child();
    unlock_large_cache();
    unlock_arenas();
    slab_unlock_after_fork();
    unlock_thread_stacks();
    unlock_guard_pool();
    unlock_debug();
}

// A thread's cached medium blocks go back to their arenas when it exits.
void release_to_arena(void* block) noexcept { arena_free(block); }
void drain_medium_cache(void*) noexcept { medium_cache_drain(release_to_arena); }

// What glibc's pthread_atfork calls, with the library's own handle (so that the handlers go if the
// library is unloaded). pthread_atfork itself is a stub of libc_nonshared.a, which the linker puts
// at the end of the library's text: calling it would map a page (and the kernel's fault-around, 64
// KiB of the text) that nothing else a short process runs touches.
extern "C" int __register_atfork(void (*prepare)(), void (*parent)(), void (*child)(), void* dso_handle);
extern "C" void* __dso_handle;

// Once, after the first allocation and outside the lock, since pthread_atfork and atexit may
// allocate: the fork handlers and the work at exit. The check is inline (every allocation makes
// it), the work out of line.
constinit std::atomic<bool> first_use_done{false};

[[gnu::hot, gnu::noinline]] void set_up_after_first_use() noexcept {
    if (first_use_done.exchange(true)) return;
    __register_atfork(lock_for_fork, unlock_in_parent, unlock_in_child, &__dso_handle);
    pthread_key_t key;
    if (pthread_key_create(&key, slab_abandon_thread) == 0) slab_set_exit_key(static_cast<unsigned>(key));
    if (pthread_key_create(&key, drain_medium_cache) == 0) medium_cache_set_exit_key(static_cast<unsigned>(key));
    if (pthread_key_create(&key, forget_thread_stack) == 0) set_thread_stack_exit_key(static_cast<unsigned>(key));
    slab_set_purge_waker(wake_background_purge);
    register_exit_work();
}

inline void after_first_use() noexcept {
    if (!first_use_done.load(std::memory_order_relaxed)) set_up_after_first_use();
}

bool recording_enabled() noexcept { return recording_flag.get(); }

// A block of a size class from the calling thread's slabs, or nullptr when the request is not
// for one or the thread has none (it has exited). `may_record`: false on the plain fast path,
// which has already found recording off.
template <bool may_record>
void* allocate_from_slab(std::size_t size, std::size_t alignment, allocation_kind kind) noexcept {
    if (size > slab_max_bytes || alignment > slab_max_bytes) return nullptr;
    const std::size_t klass = size_class_of(size, alignment);
    void* block = slab_allocate(klass, kind);
    if (block != nullptr) {
        after_first_use();
        if (may_record && recording_enabled())
            record_allocate(block, size_class_bytes(klass), size, alignment, allocation_path::slab);
    }
    return block;
}

// The paths past the slabs, and debug mode's.
void* allocate_in_debug_mode(std::size_t size, std::size_t alignment, allocation_kind kind) noexcept {
    void* checked = debug_allocate(size, alignment, kind);  // every block is a debug heap block, counted as the heap's
    after_first_use();
    if (checked != nullptr && recording())
        record_allocate(checked, debug_usable_size(checked), size, alignment, allocation_path::heap);
    return checked;
}

// Out of line, as the checking paths below: inlined into allocate and deallocate, they made every
// call save six registers (glibc_thread 0.30 -> 0.28 s without them).
// With `zeroed` (calloc's), a large block's bytes read zero (allocate_large's). A large block
// remembers `kind`'s family; a medium block's is not kept in release.
[[gnu::hot, gnu::noinline]] void* allocate_medium_or_large(std::size_t size, std::size_t alignment, allocation_kind kind,
                                                           bool zeroed = false) noexcept {
    const bool large = size >= large_threshold_bytes;
    void* pointer = nullptr;
    if (large) {
        pointer = allocate_large(size, alignment, kind, zeroed);
    } else if (size > slab_max_bytes && size <= medium_cached_max_bytes && alignment <= boundary_tag_heap::alignment_bytes) {
        const std::size_t klass = size_class_of(size);  // rounded up, so that a cached block of the class fits
        pointer = medium_cache_take(klass);
        if (pointer == nullptr) pointer = arena_allocate(size_class_bytes(klass), alignment);
    } else {
        pointer = arena_allocate(size, alignment);
    }
    after_first_use();
    if (pointer == nullptr) {
        errno = ENOMEM;
    } else if (recording_enabled()) {
        const allocation_path path = large ? allocation_path::mmap : allocation_path::heap;
        record_allocate(pointer, large ? large_usable_size(pointer) : boundary_tag_heap::usable_size(pointer), size, alignment,
                        path);
    }
    return pointer;
}

void deallocate_in_debug_mode(void* pointer, allocation_kind kind, std::size_t stated_size) noexcept {
    if (recording()) record_free(pointer, debug_usable_size(pointer));
    debug_deallocate(pointer, kind, stated_size);
}

[[gnu::hot, gnu::noinline]] void deallocate_medium_or_large(void* pointer, allocation_kind kind) noexcept {
    if (arena_owns(pointer)) {
        if (reinterpret_cast<std::uintptr_t>(pointer) % boundary_tag_heap::alignment_bytes == 0 &&
            boundary_tag_heap::header_says_live(pointer, arena_tag)) {
            const std::size_t usable = boundary_tag_heap::usable_size(pointer);
            if (medium_cache_put(pointer, usable)) {
                if (recording_enabled()) record_free(pointer, usable);
                return;
            }
        }
        const std::size_t bytes = arena_free(pointer);
        if (recording_enabled()) record_free(pointer, bytes);
        return;
    }
    const std::size_t bytes = free_large(pointer, kind);  // a pointer no tier handed out ends the program there
    if (recording_enabled()) record_free(pointer, bytes);
}

// realloc by moving: a new block of `size` bytes, the first `copied_bytes` copied, the old block
// freed; nullptr (errno ENOMEM, the old block kept) when there is no memory.
[[gnu::hot]] void* move_block(void* pointer, std::size_t size, std::size_t copied_bytes) noexcept {
    void* moved = allocate(size, boundary_tag_heap::alignment_bytes);
    if (moved == nullptr) return nullptr;
    std::memcpy(moved, pointer, copied_bytes);
    deallocate(pointer);
    return moved;
}

// The release tiers, with no checking mode (`may_record` as for allocate_from_slab).
// Without recording (the plain path), malloc(0) is an address no access may touch
// (zero_size_blocks.hpp); a recording keeps it a 16-byte block, which its readers expect.
template <bool may_record = true>
void* allocate_released(std::size_t size, std::size_t alignment, allocation_kind kind) noexcept {
    if (!may_record && size == 0 && alignment <= 16) {
        if (void* block = zero_size_allocate()) return block;
    }
    if (void* block = allocate_from_slab<may_record>(size, alignment, kind)) return block;
    return allocate_medium_or_large(size, alignment, kind);
}

template <bool may_record = true>
void deallocate_released(void* pointer, allocation_kind kind) noexcept {
    if (slab_owns(pointer)) {
        const std::size_t bytes = slab_free(pointer, kind);
        if (may_record && recording_enabled()) record_free(pointer, bytes);
        return;
    }
    if (zero_size_owns(pointer)) return zero_size_free(pointer);
    deallocate_medium_or_large(pointer, kind);
}

[[gnu::hot]] void* reallocate_released(void* pointer, std::size_t size) noexcept {
    if (slab_owns(pointer)) {
        const std::size_t bytes = slab_realloc_bytes(pointer);
        if (size <= bytes && size_class_of(size) == size_class_of(bytes)) {
            if (recording_enabled()) record_resize(pointer, bytes, pointer, bytes, size);
            return pointer;
        }
        return move_block(pointer, size, size < bytes ? size : bytes);
    }
    if (zero_size_owns(pointer)) {
        zero_size_check_live(pointer, misuse::realloc_of_freed, misuse::foreign_realloc);
        return move_block(pointer, size, 0);
    }
    if (arena_owns(pointer)) {
        if (medium_cache_holds(pointer)) fatal(misuse::realloc_of_freed, pointer);
        const std::size_t before = arena_live_usable_size(pointer);
        if (size >= large_threshold_bytes) return move_block(pointer, size, before);  // becoming large: pages of its own
        void* resized = arena_reallocate(pointer, size);
        if (resized == nullptr) {
            errno = ENOMEM;
        } else if (recording_enabled()) {
            record_resize(pointer, before, resized, boundary_tag_heap::usable_size(resized), size);
        }
        return resized;
    }
    if (!is_large(pointer)) fatal(misuse::foreign_realloc, pointer);
    if (size >= large_threshold_bytes) {
        const std::size_t before = large_usable_size(pointer);
        void* resized = reallocate_large(pointer, size);
        // mremap refuses a block that spans more than one kernel mapping (the program's madvise or
        // mprotect of a part splits one): such a block moves by copying
        if (resized == nullptr) return move_block(pointer, size, size < before ? size : before);
        if (recording_enabled()) record_resize(pointer, before, resized, large_usable_size(resized), size);
        return resized;
    }
    return move_block(pointer, size, size);  // small again: back into the slabs or an arena
}

[[gnu::hot]] std::size_t usable_size_released(const void* pointer) noexcept {
    if (slab_owns(pointer)) return slab_block_bytes(pointer, misuse::usable_size_of_freed);
    if (zero_size_owns(pointer)) {
        zero_size_check_live(pointer, misuse::usable_size_of_freed, misuse::usable_size_of_freed);
        return 0;
    }
    if (arena_owns(pointer)) return boundary_tag_heap::usable_size(pointer);
    return is_large(pointer) ? large_usable_size(pointer) : 0;
}

// The checking modes (HEAPKIT_DEBUG, HEAPKIT_GUARD): guarded blocks first, then the debug heap,
// else the release tiers. The machinery's own calls are not checked again.
constinit cached_flag checking_flag{[]() noexcept { return settings().debug || settings().guard_every != 0; }};
// Neither checking nor recording: what allocate and deallocate ask first, one load on the fast path.
constinit cached_flag plain_flag{[]() noexcept { return !checking_flag.get() && !recording_enabled(); }};

[[gnu::noinline]] void* allocate_checked(std::size_t size, std::size_t alignment, allocation_kind kind) noexcept {
    if (current_caller == caller::program && guard_enabled() && guard_takes_next()) {
        if (void* guarded = guarded_allocate(size, alignment, kind)) {
            after_first_use();
            if (recording()) record_allocate(guarded, size, size, alignment, allocation_path::mmap);
            return guarded;
        }
    }
    if (current_caller != caller::guard_pool && debug_enabled()) return allocate_in_debug_mode(size, alignment, kind);
    return allocate_released(size, alignment, kind);
}

[[gnu::noinline]] void deallocate_checked(void* pointer, allocation_kind kind, std::size_t stated_size) noexcept {
    if (current_caller != caller::guard_pool && guard_owns(pointer)) {
        if (recording()) record_free(pointer, guarded_live_size(pointer));
        return guarded_deallocate(pointer, kind, stated_size);
    }
    if (current_caller != caller::guard_pool && debug_enabled()) return deallocate_in_debug_mode(pointer, kind, stated_size);
    deallocate_released(pointer, kind);
}

void* reallocate_checked(void* pointer, std::size_t size) noexcept {
    if (current_caller != caller::guard_pool && guard_owns(pointer)) {
        const std::size_t before = guarded_live_size(pointer);
        void* moved = allocate(size, default_alignment_bytes);
        if (moved == nullptr) return nullptr;
        std::memcpy(moved, pointer, before < size ? before : size);
        deallocate(pointer);
        return moved;
    }
    if (current_caller != caller::guard_pool && debug_enabled()) {
        const std::size_t before = recording() ? debug_usable_size(pointer) : 0;
        void* resized = debug_reallocate(pointer, size);
        if (resized != nullptr && recording()) record_resize(pointer, before, resized, debug_usable_size(resized), size);
        return resized;
    }
    return reallocate_released(pointer, size);
}

[[gnu::hot, gnu::noinline]] void* allocate_full(std::size_t size, std::size_t alignment, allocation_kind kind) noexcept {
    if (plain_flag.get()) return allocate_released<false>(size, alignment, kind);
    if (checking_flag.get()) return allocate_checked(size, alignment, kind);
    return allocate_released(size, alignment, kind);
}

[[gnu::hot, gnu::noinline]] void deallocate_full(void* pointer, allocation_kind kind, std::size_t stated_size) noexcept {
    if (pointer == nullptr) return;
    if (plain_flag.get()) return deallocate_released<false>(pointer, kind);
    if (recording_enabled()) record_free_coming(pointer);
    if (checking_flag.get()) return deallocate_checked(pointer, kind, stated_size);
    deallocate_released(pointer, kind);
}

}  // namespace

// The fast paths are leaves (a flag, a size class, a pop or a push: no call, no register saved);
// anything else goes down the full path, which starts again from the top. A block from
// slab_allocate_fast means the thread's heap exists, so after_first_use has run.
[[gnu::hot]] void* allocate(std::size_t size, std::size_t alignment, allocation_kind kind) noexcept {
    if (plain_flag.known_on() && size - 1 < slab_max_bytes && alignment <= 16)  // 0 too goes down the full path
        if (void* block = slab_allocate_fast(size_class_of(size), kind)) return block;
    return allocate_full(size, alignment, kind);
}

[[gnu::hot]] void deallocate(void* pointer, allocation_kind kind, std::size_t stated_size) noexcept {
    if (plain_flag.known_on() && slab_free_fast(pointer, kind)) return;
    deallocate_full(pointer, kind, stated_size);
}

[[gnu::hot]] void* allocate_zeroed(std::size_t size) noexcept {
    if (size >= large_threshold_bytes && !checking_flag.get())
        return allocate_medium_or_large(size, default_alignment_bytes, allocation_kind::malloc, true);
    void* pointer = allocate(size, default_alignment_bytes);
    if (pointer != nullptr) std::memset(pointer, 0, size);
    return pointer;
}

[[gnu::hot]] void* reallocate(void* pointer, std::size_t size) noexcept {
    if (checking_flag.get()) return reallocate_checked(pointer, size);
    return reallocate_released(pointer, size);
}

[[gnu::hot]] std::size_t usable_size(const void* pointer) noexcept {
    if (checking_flag.get()) {
        if (current_caller != caller::guard_pool && guard_owns(pointer)) return guarded_live_size(pointer);
        if (current_caller != caller::guard_pool && debug_enabled()) return debug_usable_size(pointer);
    }
    return usable_size_released(pointer);
}

const char* validate() noexcept {
    if (debug_enabled()) return nullptr;  // the debug heap checks itself on every call
    if (const char* broken = slab_validate()) return broken;
    if (const char* broken = medium_cache_validate()) return broken;
    if (const char* broken = zero_size_validate()) return broken;
    return arenas_validate();
}

heap_census take_census() noexcept { return {slab_census(), arena_census(), large_census()}; }

std::size_t trim_memory() noexcept {
    medium_cache_drain(release_to_arena);
    return arena_trim() + slab_trim() + large_trim();
}

}  // namespace heapkit::malloc_layer
