// SPDX-License-Identifier: MIT
// The registry of live large blocks: open addressing over mapped cells, backward-shift deletion.
#include "large_registry.hpp"

#include <pthread.h>

#include <cstddef>
#include <cstdint>
#include <span>

#include "heapkit/offset/detail/linear_probing.hpp"
#include "os_memory.hpp"

namespace heapkit::malloc_layer::large_registry {

namespace {

constexpr std::uintptr_t empty = 0;  // no block starts at address 0
constexpr std::size_t recent_count = 64;

pthread_mutex_t registry_mutex = PTHREAD_MUTEX_INITIALIZER;
std::span<std::uintptr_t> cells;  // a power of two of them, or none before the first add
std::size_t live_count = 0;
std::uintptr_t recently_freed[recent_count];  // a ring of the last addresses removed
std::size_t recent_next = 0;

std::size_t home(std::uintptr_t address, std::size_t cell_count) noexcept {
    return static_cast<std::size_t>(((address >> 4) * 0x9E3779B97F4A7C15ull) >> 20) & (cell_count - 1);
}

// The cell holding `address`, or the empty cell where it would go.
std::size_t cell_of(std::uintptr_t address) noexcept {
    std::size_t at = home(address, cells.size());
    while (cells[at] != empty && cells[at] != address) at = (at + 1) & (cells.size() - 1);
    return at;
}

// Twice the cells (one page's worth at first), everything rehashed. False when mmap refuses.
[[gnu::hot]] bool grow() noexcept {
    const std::size_t page = os_memory::page_bytes();
    const std::size_t bytes = cells.empty() ? page : cells.size() * sizeof(std::uintptr_t) * 2;
    void* mapping = os_memory::map_aligned(bytes, page);
    if (mapping == nullptr) return false;
    const std::span<std::uintptr_t> old = cells;
    cells = {static_cast<std::uintptr_t*>(mapping), bytes / sizeof(std::uintptr_t)};  // zeroed: all empty
    for (const std::uintptr_t address : old) {
        if (address != empty) cells[cell_of(address)] = address;
    }
    if (!old.empty()) os_memory::unmap(old.data(), old.size() * sizeof(std::uintptr_t));
    return true;
}

struct locked {
    locked() noexcept { pthread_mutex_lock(&registry_mutex); }
    ~locked() { pthread_mutex_unlock(&registry_mutex); }
    locked(const locked&) = delete;
    locked& operator=(const locked&) = delete;
};

}  // namespace

[[gnu::hot]] bool add(const void* pointer) noexcept {
    const auto address = reinterpret_cast<std::uintptr_t>(pointer);
    const locked guard;
    if ((live_count + 1) * 2 > cells.size() && !grow()) return false;
    cells[cell_of(address)] = address;
    ++live_count;
    for (std::uintptr_t& freed : recently_freed) {
        if (freed == address) freed = empty;  // live again: a later free of it is its first
    }
    return true;
}

[[gnu::hot]] bool holds(const void* pointer) noexcept {
    const auto address = reinterpret_cast<std::uintptr_t>(pointer);
    const locked guard;
    return !cells.empty() && cells[cell_of(address)] == address;
}

[[gnu::hot]] removal remove(const void* pointer) noexcept {
    const auto address = reinterpret_cast<std::uintptr_t>(pointer);
    const locked guard;
    if (cells.empty() || cells[cell_of(address)] != address) {
        for (const std::uintptr_t freed : recently_freed) {
            if (freed == address && address != empty) return removal::freed_lately;
        }
        return removal::unknown;
    }
    const std::size_t hole = detail::shift_back(
        cells, cell_of(address), [](std::uintptr_t cell) { return cell == empty; },
        [](std::uintptr_t cell) { return home(cell, cells.size()); });
    cells[hole] = empty;
    --live_count;
    recently_freed[recent_next] = address;
    recent_next = (recent_next + 1) % recent_count;
    return removal::removed;
}

void lock() noexcept { pthread_mutex_lock(&registry_mutex); }
void unlock() noexcept { pthread_mutex_unlock(&registry_mutex); }

}  // namespace heapkit::malloc_layer::large_registry
