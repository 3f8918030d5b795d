// SPDX-License-Identifier: MIT
// Size classes: every multiple of 16 up to 128 bytes, then four classes per doubling up to 4 KiB
// (160, 192, 224, 256, 320, ... 4096), eight per doubling up to the slabs' 16 KiB (4608, 5120,
// ... 8192, 9216, ... 16384), and four per doubling again for the medium blocks of the thread
// caches (20480, ... 262144). A block wastes less than 16 bytes up to 128, at most a quarter of
// itself above (SC1), and at most an eighth between 4 and 16 KiB, where page-sized records with a
// header live (sqlite's page cache asks for 4104 and 4368 bytes: 4608 serves both, not 5120).
// All constexpr, O(1) (a bit scan); the static assertions below pin the table.
#pragma once

#include <bit>
#include <cstddef>

namespace heapkit::malloc_layer {

inline constexpr std::size_t slab_max_bytes =
    16384;  // may be tuned (a power of two): larger requests go to the boundary-tag heap
inline constexpr std::size_t fine_classes_from = 4096;  // eight classes per doubling above this, up to slab_max_bytes
inline constexpr std::size_t first_fine_class = 28;     // 8 steps of 16, then 4 per doubling up to fine_classes_from
inline constexpr std::size_t slab_class_count = 44;     // then 8 per doubling up to slab_max_bytes
inline constexpr std::size_t medium_cached_max_bytes = std::size_t{256} << 10;  // may be tuned (a power of two)
inline constexpr std::size_t cached_class_count = 60;  // the slabs' classes, then 4 per doubling up to medium_cached_max_bytes

// The class of a request of `size` bytes (0 < size <= medium_cached_max_bytes; 0 is served as 16).
constexpr std::size_t size_class_of(std::size_t size) noexcept {
    if (size <= 128) return (size - (size != 0)) / 16;   // 0 and 1..16: class 0, without a branch
    const std::size_t width = std::bit_width(size - 1);  // 8 for 129..256
    constexpr std::size_t fine_width = std::bit_width(fine_classes_from);
    constexpr std::size_t coarse_width = std::bit_width(slab_max_bytes);
    if (width < fine_width) return 8 + (width - 8) * 4 + (((size - 1) >> (width - 3)) - 4);  // a quarter: 0..3
    if (width < coarse_width)
        return first_fine_class + (width - fine_width) * 8 + (((size - 1) >> (width - 4)) - 8);  // an eighth: 0..7
    return slab_class_count + (width - coarse_width) * 4 + (((size - 1) >> (width - 3)) - 4);
}

// The block size of class `klass`.
constexpr std::size_t size_class_bytes(std::size_t klass) noexcept {
    if (klass < 8) return (klass + 1) * 16;
    if (klass < first_fine_class) {
        const std::size_t doubling = (klass - 8) / 4;  // 0 for 160..256
        return (std::size_t{128} << doubling) + ((klass - 8) % 4 + 1) * (std::size_t{32} << doubling);
    }
    if (klass < slab_class_count) {
        const std::size_t doubling = (klass - first_fine_class) / 8;  // 0 for 4608..8192
        return (fine_classes_from << doubling) + ((klass - first_fine_class) % 8 + 1) * ((fine_classes_from / 8) << doubling);
    }
    const std::size_t doubling = (klass - slab_class_count) / 4;  // 0 for 20480..32768
    return (slab_max_bytes << doubling) + ((klass - slab_class_count) % 4 + 1) * ((slab_max_bytes / 4) << doubling);
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
        if (size > fine_classes_from && 8 * (bytes - size) > bytes) return false;
    }
    if (size_class_of(fine_classes_from) != first_fine_class - 1 || size_class_bytes(first_fine_class - 1) != fine_classes_from)
        return false;
    return true;
}
static_assert(size_classes_are_tight());

}  // namespace heapkit::malloc_layer
