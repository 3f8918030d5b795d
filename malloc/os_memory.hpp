// SPDX-License-Identifier: MIT
// The malloc layer's one door to the kernel for memory: aligned anonymous mappings inside the
// user address space that the layer's tables cover, unmapping, remapping, discarding pages, and
// page protection and page rounding. Every call is one or a few system calls; none allocates,
// so any tier may call it from inside malloc. Linux (mmap, munmap, mremap, madvise, mprotect).
#pragma once

#include <cstddef>
#include <cstdint>

namespace heapkit::malloc_layer::os_memory {

// The user address space the layer's tables cover (the slab segment map, the arenas' region
// table): x86-64 and AArch64 Linux hand out addresses below 2^47 unless asked for more.
constexpr unsigned user_address_bits = 47;
constexpr std::uintptr_t user_address_end = std::uintptr_t{1} << user_address_bits;

// Whether the kernel sets swap space aside for a mapping (no: MAP_NORESERVE, for regions that
// are reserved large and touched little by little).
enum class swap_reserve : bool { no, yes };

// The size of a memory page (asked of the kernel once).
std::size_t page_bytes() noexcept;

// `bytes` rounded up to whole pages, or 0 when that would pass the largest size_t.
std::size_t round_up_to_pages(std::size_t bytes) noexcept;

// A fresh zeroed read-write mapping of `bytes` (a multiple of the page) whose start is a multiple
// of `alignment` (a power of two; at most the page costs nothing extra, more maps `alignment`
// bytes of slack and unmaps what is left over) and whose end is at most user_address_end.
// nullptr when the kernel refuses or places it higher.
void* map_aligned(std::size_t bytes, std::size_t alignment, swap_reserve reserve = swap_reserve::yes) noexcept;

// Whether the pages of a mapping may be read and written.
enum class access : bool { none, read_write };

// A mapping of `bytes` (a multiple of the page) that no access may touch (PROT_NONE, no swap set
// aside), whose end is at most user_address_end: address space for pointers that must fault
// when used. nullptr when the kernel refuses or places it higher.
void* map_inaccessible(std::size_t bytes) noexcept;

// Changes the access of the pages [start, +bytes) (multiples of the page) of a mapping; false
// when the kernel refuses (then nothing changed; mprotect fails as a whole).
bool protect(void* start, std::size_t bytes, access allowed) noexcept;

// Gives [start, +bytes) back to the kernel; both multiples of the page.
void unmap(void* start, std::size_t bytes) noexcept;

// The mapping at `start` resized from `old_bytes` to `new_bytes` (multiples of the page), moved
// if the kernel must; its contents are kept. nullptr when it cannot be, and then nothing changed.
void* remap(void* start, std::size_t old_bytes, std::size_t new_bytes) noexcept;

// Returns the whole pages inside [start, +bytes) to the kernel while keeping them mapped: the
// next touch of each reads zeros (MADV_DONTNEED), so resident memory comes down.
void discard(void* start, std::size_t bytes) noexcept;

}  // namespace heapkit::malloc_layer::os_memory
