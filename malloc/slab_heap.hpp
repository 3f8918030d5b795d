// SPDX-License-Identifier: MIT
// Size-class slabs for blocks up to slab_max_bytes (slab_classes.hpp): each thread allocates
// from pages of its own heap without a lock; a block freed by another thread goes back to its
// page through a lock-free stack, and the owner collects it when that page runs dry. Pages are
// 64 KiB, in 4 MiB segments found from a pointer by masking; a segment's address space is kept
// for the process's life, the memory of its unused pages is not. Cost: O(1) per call on the fast
// path (a pop or a bump, a push or a CAS), O(pages of the class) when a class runs dry.
#pragma once

#include <cstddef>
#include <cstdint>

#include "fatal.hpp"
#include "heapkit/heap/debug_report.hpp"

namespace heapkit::malloc_layer {

// Whether `pointer` lies in a slab segment: one bit test, for any pointer.
bool slab_owns(const void* pointer) noexcept;

// A block of size class `klass` from the calling thread's heap, on a page of blocks of `family`
// alone (malloc's, new's or new[]'s), or nullptr when the thread has exited (its destructors are
// still running) or mmap refuses a segment.
void* slab_allocate(std::size_t klass, allocation_kind family) noexcept;

// Frees a block that slab_owns, by the deallocator of `family` (free, delete, delete[]), and
// returns its size; a double free, a pointer that is no block's start, or a block of another
// family ends the program with one line.
std::size_t slab_free(void* pointer, allocation_kind family) noexcept;

// The fast paths, leaves that call nothing: a pop from the free list of the thread's current page
// of `klass`, and a push of a live block onto a page of the thread's own that stays neither full
// nor empty after it, with every check slab_free makes. nullptr and false, with nothing changed,
// for everything else, which the caller sends down slab_allocate and slab_free.
void* slab_allocate_fast(std::size_t klass, allocation_kind family) noexcept;
bool slab_free_fast(void* pointer, allocation_kind family) noexcept;

// The bytes of the live block at `pointer` (slab_owns); a freed block or a pointer that is no
// block's start ends the program with the verdict of `what` (misuse::realloc_of_freed, say).
std::size_t slab_block_bytes(const void* pointer, misuse what) noexcept;
// The same for realloc, with one lookup: a freed block or a pointer that is no block's start is the
// realloc_of_freed verdict, a block that new or new[] allocated the mismatched one.
std::size_t slab_realloc_bytes(const void* pointer) noexcept;

// Makes the calling thread's heap go to the next new thread when this one exits: the first
// allocation of each thread registers it with `key` (a pthread_key_t made once by the caller,
// whose destructor is slab_abandon_thread).
void slab_set_exit_key(unsigned key) noexcept;
void slab_abandon_thread(void*) noexcept;

// Around fork: the lock on the list of heaps is held across it. A thread that does not exist in
// the child leaves its heap there unused (its pages stay allocated; blocks freed into them are
// only pushed, never reused).
void slab_lock_for_fork() noexcept;
void slab_unlock_after_fork() noexcept;

// What the slabs hold (mallinfo2's arena and uordblks, malloc_stats), summed over every
// thread's segments without a lock: `used` as each page's owner last wrote it, so blocks other
// threads freed count as in use until the owner collects them.
struct slab_totals {
    std::size_t mapped_bytes = 0;  // every segment's bytes (their unused pages' memory may be back with the kernel)
    std::size_t in_use_bytes = 0;  // blocks out, at their class's size
    std::size_t in_use_pages = 0;  // pages with a size class
};
slab_totals slab_census() noexcept;
// The purge thread (background_purge.hpp): `wake` is called by a thread that exits with blocks
// out (never from a free: glibc frees a thread's TLS vector under a lock that creating a thread
// takes); in its rounds slab_purge_aged gives back the memory of every thread's pages that
// have stayed unused `age_ms` (HEAPKIT_PURGE_DELAY_MS; taking each from its owner with a CAS the
// owner respects) and says
// whether younger unused pages wait.
void slab_set_purge_waker(void (*wake)() noexcept) noexcept;
bool slab_purge_aged(std::uint32_t age_ms) noexcept;
// The heaps of exited threads, until a new thread takes one: the purge thread (woken by a thread
// that exits with blocks out) collects what other threads have freed into their pages since, and
// gives the memory of the pages that empties back; whether to come again (blocks are still out,
// and some came back within the last 5 rounds).
bool slab_collect_abandoned() noexcept;

// Gives the memory of the calling thread's unused pages back to the kernel now (malloc_trim;
// other threads' heaps are their owners' alone); the bytes given back.
std::size_t slab_trim() noexcept;

// Checks every invariant of the calling thread's heap (SG1-SG2, PG1-PG4, HP1-HP3 in
// slab_heap.cpp); nullptr when they hold, else the id and text of the first that does not.
// O(blocks on the heap's free lists + pages).
const char* slab_validate() noexcept;

}  // namespace heapkit::malloc_layer
