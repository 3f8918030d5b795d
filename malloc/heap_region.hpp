// SPDX-License-Identifier: MIT
// Memory for a boundary-tag heap's next region: one mapping, reserved rather than committed
// (MAP_NORESERVE), large enough for one block of `size` bytes at `alignment` and at least
// `minimum_bytes`, its start and length multiples of `granule_bytes` (a power of two; the page
// when smaller), its end below os_memory::user_address_end. The process's arenas and debug mode's
// heaps grow by it. One os_memory::map_aligned.
#pragma once

#include <cstddef>
#include <span>

namespace heapkit::malloc_layer {

// The region, or an empty span when the size overflows or the kernel refuses.
std::span<std::byte> map_heap_region(std::size_t size, std::size_t alignment, std::size_t minimum_bytes,
                                     std::size_t granule_bytes = 0) noexcept;

}  // namespace heapkit::malloc_layer
