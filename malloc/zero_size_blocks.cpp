// SPDX-License-Identifier: MIT
// heapkit's malloc: zero-size blocks in an inaccessible region, a bitmap of live slots beside it.
#include "zero_size_blocks.hpp"

#include <atomic>
#include <bit>
#include <cstdint>

#include "os_memory.hpp"

namespace heapkit::malloc_layer {
namespace {

constexpr std::size_t slot_bytes = 16;  // malloc's alignment
constexpr std::size_t slot_count = std::size_t{1} << 20;
constexpr std::size_t region_bytes = slot_count * slot_bytes;
constexpr std::size_t word_count = slot_count / 64;
constexpr std::size_t words_tried = 4;  // before giving up on the region for one request

struct zero_size_region {
    std::atomic<std::uintptr_t> base{0};                     // the inaccessible region, 0 until made
    std::atomic<std::atomic<std::uint64_t>*> live{nullptr};  // bit s of word s / 64: slot s is live
    std::atomic<std::size_t> cursor{0};                      // the next slot to try, modulo slot_count
    std::atomic<std::size_t> reached{0};                     // one past the highest slot ever handed out: those above never were
    std::atomic<bool> refused{false};                        // the kernel refused the region: malloc(0) is a slab block
};
constinit zero_size_region region;

// Makes the region and its bitmap on the first malloc(0); false when the kernel refuses. Two
// threads that race each map one, and the loser gives its mappings back.
[[gnu::hot]] bool made() noexcept {
    if (region.live.load(std::memory_order_acquire) != nullptr) return true;
    if (region.refused.load(std::memory_order_relaxed)) return false;
    void* addresses = os_memory::map_inaccessible(region_bytes);
    void* bits = os_memory::map_aligned(word_count * sizeof(std::uint64_t), os_memory::page_bytes(), os_memory::swap_reserve::no);
    if (addresses == nullptr || bits == nullptr) {
        if (addresses != nullptr) os_memory::unmap(addresses, region_bytes);
        if (bits != nullptr) os_memory::unmap(bits, word_count * sizeof(std::uint64_t));
        region.refused.store(true, std::memory_order_relaxed);
        return false;
    }
    std::uintptr_t expected = 0;
    if (!region.base.compare_exchange_strong(expected, reinterpret_cast<std::uintptr_t>(addresses), std::memory_order_acq_rel)) {
        os_memory::unmap(addresses, region_bytes);
        os_memory::unmap(bits, word_count * sizeof(std::uint64_t));
        while (region.live.load(std::memory_order_acquire) == nullptr) {}  // the winner publishes its bitmap next
        return true;
    }
    region.live.store(static_cast<std::atomic<std::uint64_t>*>(bits), std::memory_order_release);
    return true;
}

// The slot of `pointer` (in the region), or the end of the program with `foreign` when it starts
// none that was ever handed out.
[[gnu::hot]] std::size_t slot_of(const void* pointer, misuse foreign) noexcept {
    const std::uintptr_t offset = reinterpret_cast<std::uintptr_t>(pointer) - region.base.load(std::memory_order_relaxed);
    if (offset % slot_bytes != 0 || offset / slot_bytes >= region.reached.load(std::memory_order_relaxed))
        fatal(foreign, pointer);
    return offset / slot_bytes;
}

}  // namespace

[[gnu::hot]] void* zero_size_allocate() noexcept {
    if (!made()) return nullptr;
    std::atomic<std::uint64_t>* live = region.live.load(std::memory_order_acquire);
    std::size_t slot = region.cursor.fetch_add(1, std::memory_order_relaxed) % slot_count;
    for (std::size_t tried = 0; tried < words_tried; ++tried) {
        std::atomic<std::uint64_t>& word = live[slot / 64];
        std::uint64_t bits = word.load(std::memory_order_relaxed);
        while (true) {
            const std::uint64_t from_slot = ~bits & (~std::uint64_t{0} << (slot % 64));  // free slots at or after it
            if (from_slot == 0) break;
            const std::size_t found = slot / 64 * 64 + static_cast<std::size_t>(std::countr_zero(from_slot));
            const std::uint64_t bit = std::uint64_t{1} << (found % 64);
            std::size_t reached = region.reached.load(std::memory_order_relaxed);  // raised first (ZS1)
            while (reached <= found && !region.reached.compare_exchange_weak(reached, found + 1, std::memory_order_relaxed)) {}
            if (word.compare_exchange_weak(bits, bits | bit, std::memory_order_acq_rel, std::memory_order_relaxed)) {
                return reinterpret_cast<void*>(region.base.load(std::memory_order_relaxed) + found * slot_bytes);
            }
        }
        slot = (slot / 64 + 1) * 64 % slot_count;  // the next word's first slot
    }
    return nullptr;
}

[[gnu::hot]] bool zero_size_owns(const void* pointer) noexcept {
    const std::uintptr_t base = region.base.load(std::memory_order_relaxed);
    return base != 0 && reinterpret_cast<std::uintptr_t>(pointer) - base < region_bytes;
}

[[gnu::hot]] void zero_size_free(void* pointer) noexcept {
    const std::size_t slot = slot_of(pointer, misuse::foreign_free);
    const std::uint64_t bit = std::uint64_t{1} << (slot % 64);
    std::atomic<std::uint64_t>* live = region.live.load(std::memory_order_acquire);
    if (live == nullptr || (live[slot / 64].fetch_and(~bit, std::memory_order_acq_rel) & bit) == 0)
        fatal(misuse::double_free, pointer);
}

[[gnu::hot]] void zero_size_check_live(const void* pointer, misuse freed_verdict, misuse foreign_verdict) noexcept {
    const std::size_t slot = slot_of(pointer, foreign_verdict);
    std::atomic<std::uint64_t>* live = region.live.load(std::memory_order_acquire);
    if (live == nullptr || (live[slot / 64].load(std::memory_order_acquire) >> (slot % 64) & 1) == 0)
        fatal(freed_verdict, pointer);
}

const char* zero_size_validate() noexcept {
    std::atomic<std::uint64_t>* live = region.live.load(std::memory_order_acquire);
    if (live == nullptr) return nullptr;
    std::size_t highest_live = 0;  // one past the highest live slot seen
    for (std::size_t word = 0; word < word_count; ++word) {
        if (const std::uint64_t bits = live[word].load(std::memory_order_acquire); bits != 0)
            highest_live = word * 64 + static_cast<std::size_t>(std::bit_width(bits));
    }
    if (highest_live > region.reached.load(std::memory_order_relaxed)) return "ZS1: a slot never handed out is live";
    return nullptr;
}

}  // namespace heapkit::malloc_layer
