// SPDX-License-Identifier: MIT
// Size classes: every multiple of 16 up to 128 bytes, then four classes per doubling (160, 192,
// 224, 256, 320, ... 16384 for the slabs, ... 262144 for the medium blocks of the thread caches),
// so a block wastes less than 16 bytes up to 128 and at most a quarter of itself above (SC1).
// All constexpr, O(1) (a bit scan); the static assertions below pin the table.
#pragma once

#include <bit>
#include <cstddef>

namespace heapkit::malloc_layer {

inline constexpr std::size_t slab_max_bytes =
    16384;                                           // may be tuned (a power of two): larger requests go to the boundary-tag heap
inline constexpr std::size_t slab_class_count = 36;  // 8 steps of 16, then 4 per doubling up to slab_max_bytes
inline constexpr std::size_t medium_cached_max_bytes = std::size_t{256} << 10;  // may be tuned (a power of two)
inline constexpr std::size_t cached_class_count = 52;  // the slabs' classes, then 4 per doubling up to medium_cached_max_bytes

// The class of a request of `size` bytes (0 < size <= medium_cached_max_bytes; 0 is served as 16).
constexpr std::size_t size_class_of(std::size_t size) noexcept {
    if (size <= 128) return size == 0 ? 0 : (size + 15) / 16 - 1;
    const std::size_t width = std::bit_width(size - 1);           // 8 for 129..256
    const std::size_t quarter = ((size - 1) >> (width - 3)) - 4;  // 0..3 within the doubling
    return 8 + (width - 8) * 4 + quarter;
}

// The block size of class `klass`.
constexpr std::size_t size_class_bytes(std::size_t klass) noexcept {
    if (klass < 8) return (klass + 1) * 16;
    const std::size_t doubling = (klass - 8) / 4;  // 0 for 160..256
    return (std::size_t{128} << doubling) + ((klass - 8) % 4 + 1) * (std::size_t{32} << doubling);
}

// The class of a request with an alignment above 16 (a power of two, at most slab_max_bytes):
// a power-of-two class at least as large as both, whose blocks lie at multiples of their size
// (slab pages are aligned to their size, which is a multiple of every class size that is a
// power of two).
constexpr std::size_t size_class_of(std::size_t size, std::size_t alignment) noexcept {
    if (alignment <= 16) return size_class_of(size);
    return size_class_of(std::bit_ceil(size > alignment ? size : alignment));
}

// SC1 and the table's shape, for every size a slab or a thread cache serves.
constexpr bool size_classes_are_tight() noexcept {
    if (size_class_of(slab_max_bytes) != slab_class_count - 1 || size_class_bytes(slab_class_count - 1) != slab_max_bytes)
        return false;
    if (size_class_of(medium_cached_max_bytes) != cached_class_count - 1 ||
        size_class_bytes(cached_class_count - 1) != medium_cached_max_bytes)
        return false;
    for (std::size_t klass = slab_class_count; klass < cached_class_count; ++klass) {  // above the slabs: at the class edges
        const std::size_t first = size_class_bytes(klass - 1) + 1;  // the smallest request of the class, which wastes most
        const std::size_t bytes = size_class_bytes(klass);
        if (size_class_of(first) != klass || size_class_of(bytes) != klass || bytes % 16 != 0 || 4 * (bytes - first) > bytes)
            return false;
    }
    for (std::size_t size = 1; size <= slab_max_bytes; ++size) {
        const std::size_t klass = size_class_of(size);
        const std::size_t bytes = size_class_bytes(klass);
        if (bytes < size || bytes % 16 != 0 || (klass > 0 && size_class_bytes(klass - 1) >= size)) return false;
        if (bytes - size >= 16 && 4 * (bytes - size) > bytes) return false;  // SC1
    }
    return true;
}
static_assert(size_classes_are_tight());

}  // namespace heapkit::malloc_layer
