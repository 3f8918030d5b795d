// SPDX-License-Identifier: MIT
// libFuzzer target: one byte stream drives a boundary_tag_heap over two regions (sizes and
// offsets from the input) through allocate, deallocate, reallocate, quick-list flushes, double
// frees (right after the first: later, the memory may hold anything, as in any heap without
// debug checks) and misaligned frees, against a shadow of the live blocks. Every live block is filled
// and checked before it goes; blocks never overlap; allocate fails only when no free block fits
// (16-byte alignment); errors have their kind; validate() runs after every step.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <vector>

#include "fuzz_support.hpp"
#include "heapkit/heap/boundary_tag_heap.hpp"

namespace {

using namespace heapkit;
using heapkit::fuzz::byte_reader;
using heapkit::fuzz::fail;

struct live_block {
    std::size_t size;
    unsigned char fill;
};

class shadow {
public:
    void add(void* pointer, std::size_t size, unsigned char fill) {
        const auto address = reinterpret_cast<std::uintptr_t>(pointer);
        const auto next = live_.lower_bound(address);
        if (next != live_.end() && address + size > next->first) fail("overlaps the next block", address, next->first);
        if (next != live_.begin() && std::prev(next)->first + std::prev(next)->second.size > address)
            fail("overlaps the previous block", std::prev(next)->first, address);
        std::memset(pointer, fill, size);
        live_[address] = {size, fill};
    }
    void check(std::uintptr_t address, std::size_t bytes) const {
        const live_block& block = live_.at(address);
        const auto* data = reinterpret_cast<const unsigned char*>(address);
        for (std::size_t i = 0; i < bytes; ++i)
            if (data[i] != block.fill) fail("a live block's byte changed", address, i);
    }
    std::map<std::uintptr_t, live_block>& blocks() { return live_; }

private:
    std::map<std::uintptr_t, live_block> live_;
};

template <class Operation>
errc kind_thrown(Operation operation) {
    try {
        operation();
    } catch (const heapkit::error& thrown) {
        return thrown.kind();
    }
    return errc::ok;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    byte_reader in(data, size);
    alignas(64) static std::byte memory[2][16384];
    const std::size_t first_bytes = 128 + in.take(2) % (sizeof memory[0] - 200);
    const std::size_t second_offset = in.take(1) % 64;
    boundary_tag_heap heap(std::span(memory[0]).first(first_bytes));
    if (in.take(1) % 2 == 0) heap.add_region(std::span(memory[1]).subspan(second_offset));
    shadow live;
    void* just_freed = nullptr;  // freed by the previous operation
    unsigned char next_fill = 1;

    while (!in.empty()) {
        const auto operation = in.take(1) % 8;
        void* freed_this_step = nullptr;
        auto& blocks = live.blocks();
        const auto pick = [&]() {
            auto it = blocks.begin();
            std::advance(it, static_cast<std::ptrdiff_t>(in.take(2) % blocks.size()));
            return it;
        };
        if (operation <= 2 || blocks.empty()) {
            const std::size_t request = in.take(2) % 3000;
            const std::size_t alignment = std::size_t{1} << (in.take(1) % 12);
            void* p = heap.try_allocate(request, alignment);
            if (p == nullptr) {
                const std::size_t smallest_usable = boundary_tag_heap::min_block_bytes - boundary_tag_heap::header_bytes;
                if (alignment <= 16 && heap.stats().largest_free_block >= std::max(request, smallest_usable))
                    fail("failed although a block fits", request, heap.stats().largest_free_block);
            } else {
                if (reinterpret_cast<std::uintptr_t>(p) % alignment != 0)
                    fail("misaligned", reinterpret_cast<std::uintptr_t>(p), alignment);
                if (boundary_tag_heap::usable_size(p) < request) fail("usable size too small", request, 0);
                live.add(p, request, next_fill++);
            }
        } else if (operation <= 4) {
            const auto victim = pick();
            live.check(victim->first, victim->second.size);
            void* p = reinterpret_cast<void*>(victim->first);
            blocks.erase(victim);
            heap.deallocate(p);
            freed_this_step = p;
        } else if (operation == 5) {
            const auto victim = pick();
            const std::size_t request = in.take(2) % 3000;
            void* old = reinterpret_cast<void*>(victim->first);
            const live_block before = victim->second;
            live.check(victim->first, before.size);
            if (void* moved = heap.try_reallocate(old, request)) {
                const std::size_t kept = std::min(request, before.size);
                for (std::size_t i = 0; i < kept; ++i)
                    if (static_cast<unsigned char*>(moved)[i] != before.fill) fail("reallocate lost a byte", i, kept);
                blocks.erase(victim);
                live.add(moved, request, next_fill++);
            }
        } else if (operation == 6 && just_freed != nullptr) {
            const errc kind = kind_thrown([&] { heap.deallocate(just_freed); });
            if (kind != errc::invalid_free) fail("a double free was not invalid_free", static_cast<unsigned>(kind), 0);
            const errc misaligned = kind_thrown([&] { heap.deallocate(static_cast<std::byte*>(just_freed) + 8); });
            if (misaligned != errc::invalid_address)
                fail("a misaligned free was not invalid_address", static_cast<unsigned>(misaligned), 0);
        } else {
            heap.flush_quick_lists();
        }
        just_freed = freed_this_step;
        heap.validate();
        if (heap.stats().allocation_count != blocks.size())
            fail("allocation count", heap.stats().allocation_count, blocks.size());
    }
    return 0;
}
