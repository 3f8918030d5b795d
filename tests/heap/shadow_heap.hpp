// SPDX-License-Identifier: MIT
// shadow_heap: what a test believes is live in a real-memory heap. Every block is filled with a
// byte derived from its id when added and checked byte by byte before it goes, so a heap that
// hands out overlapping blocks or scribbles on live memory fails the test; overlap with the
// neighbours is also checked directly on every add. O(log n) per call plus the block's bytes.
#pragma once

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <map>
#include <random>
#include <vector>

namespace heapkit::test {

class shadow_heap {
public:
    void add(void* pointer, std::size_t size, std::size_t id) {
        const auto address = reinterpret_cast<std::uintptr_t>(pointer);
        const auto next = live_.lower_bound(address);
        if (next != live_.end()) {
            ASSERT_LE(address + size, next->first) << "overlaps the next live block";
        }
        if (next != live_.begin()) {
            const auto previous = std::prev(next);
            ASSERT_LE(previous->first + previous->second.size, address) << "overlaps the previous live block";
        }
        live_[address] = {size, fill_byte(id)};
        std::memset(pointer, fill_byte(id), size);
    }

    // Checks the first `bytes` of the block still hold its fill.
    void check_prefix(void* pointer, std::size_t bytes) const {
        const record& block = live_.at(reinterpret_cast<std::uintptr_t>(pointer));
        ASSERT_EQ(first_not(pointer, bytes, block.fill), bytes) << "the live block at " << pointer << " changed";
    }

    void check_and_remove(void* pointer) {
        check_prefix(pointer, size_of(pointer));
        live_.erase(reinterpret_cast<std::uintptr_t>(pointer));
    }

    // The block moved (or was resized in place) by reallocate: its first `kept` bytes must have
    // come along; it is refilled for its new id.
    void move(void* from, void* to, std::size_t size, std::size_t kept, std::size_t id) {
        const unsigned char old_fill = live_.at(reinterpret_cast<std::uintptr_t>(from)).fill;
        ASSERT_EQ(first_not(to, kept, old_fill), kept) << "reallocate lost a byte";
        live_.erase(reinterpret_cast<std::uintptr_t>(from));
        add(to, size, id);
    }

    void* pick(std::mt19937_64& random) const {
        auto it = live_.begin();
        std::advance(it, static_cast<std::ptrdiff_t>(random() % live_.size()));
        return reinterpret_cast<void*>(it->first);
    }

    std::size_t size_of(void* pointer) const { return live_.at(reinterpret_cast<std::uintptr_t>(pointer)).size; }
    std::size_t count() const { return live_.size(); }
    bool empty() const { return live_.empty(); }
    std::vector<void*> pointers() const {
        std::vector<void*> all;
        for (const auto& [address, block] : live_) all.push_back(reinterpret_cast<void*>(address));
        return all;
    }

private:
    struct record {
        std::size_t size;    // bytes asked for
        unsigned char fill;  // what every byte holds
    };
    // The index of the first of `bytes` bytes at `pointer` that is not `fill`, or `bytes`.
    static std::size_t first_not(const void* pointer, std::size_t bytes, unsigned char fill) {
        const auto* data = static_cast<const unsigned char*>(pointer);
        std::size_t i = 0;
        while (i < bytes && data[i] == fill) ++i;
        return i;
    }
    static unsigned char fill_byte(std::size_t id) { return static_cast<unsigned char>(id * 131 + 7); }

    std::map<std::uintptr_t, record> live_;
};

}  // namespace heapkit::test
