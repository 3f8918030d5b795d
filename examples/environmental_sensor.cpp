// SPDX-License-Identifier: MIT
// Environmental sensor: a microcontroller wakes, takes a few readings into fixed-size buffers
// from a pool, transmits them and frees them in LIFO order, a million times. A pool has no
// external fragmentation and reuses the same few buffers; every operation is O(1).
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <vector>

#include "claim.hpp"
#include "heapkit/heapkit.hpp"

using namespace heapkit;

int main() {
    constexpr Size reading_bytes = 32;
    constexpr Size buffers = 64;
    constexpr std::size_t cycles = 1'000'000;
    constexpr std::size_t most_readings = 8;
    pool_allocator ram(buffers * reading_bytes, reading_bytes);
    std::printf("a %llu-byte buffer pool: %llu readings of %llu bytes\n", static_cast<unsigned long long>(ram.capacity()),
                static_cast<unsigned long long>(ram.block_count()), static_cast<unsigned long long>(reading_bytes));

    std::uint64_t weather = 0x5EED;  // xorshift: how many readings each wake-up takes
    std::uint64_t transmitted = 0;
    Offset highest_buffer = 0;
    bool never_fragmented = true;
    bool always_empty_after = true;
    std::vector<Offset> readings;
    double half_seconds[2] = {0, 0};
    for (std::size_t half = 0; half < 2; ++half) {
        const auto started = std::chrono::steady_clock::now();
        for (std::size_t cycle = 0; cycle < cycles / 2; ++cycle) {
            weather ^= weather << 13;
            weather ^= weather >> 7;
            weather ^= weather << 17;
            const std::size_t count = 1 + weather % most_readings;  // wake
            for (std::size_t i = 0; i < count; ++i) readings.push_back(ram.allocate(reading_bytes));
            for (const Offset buffer : readings) transmitted += buffer;  // transmit
            for (const Offset buffer : readings) highest_buffer = std::max(highest_buffer, buffer);
            never_fragmented =
                never_fragmented && ram.external_fragmentation() == 0.0 && ram.largest_free_block() == reading_bytes;
            while (!readings.empty()) {  // free, last in first out
                ram.free(readings.back(), reading_bytes);
                readings.pop_back();
            }
            always_empty_after = always_empty_after && ram.free_memory() == ram.capacity();
        }
        half_seconds[half] = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    }
    ram.validate();
    const double nanoseconds_per_cycle[2] = {half_seconds[0] * 1e9 / (cycles / 2), half_seconds[1] * 1e9 / (cycles / 2)};
    std::printf("%zu wake-ups transmitted (checksum %llu)\n", cycles, static_cast<unsigned long long>(transmitted));
    std::printf("highest buffer ever used: %llu (of %llu)\n", static_cast<unsigned long long>(highest_buffer / reading_bytes),
                static_cast<unsigned long long>(buffers - 1));
    std::printf("cost per wake-up: %.1f ns in the first half, %.1f ns in the second\n", nanoseconds_per_cycle[0],
                nanoseconds_per_cycle[1]);

    claim(never_fragmented, "external fragmentation was 0 after every allocation: any free buffer serves any reading");
    claim(always_empty_after, "every cycle gave all its buffers back");
    claim(highest_buffer < most_readings * reading_bytes, "LIFO reuse: only the first 8 buffers were ever touched");
    claim(nanoseconds_per_cycle[1] < 3 * nanoseconds_per_cycle[0],
          "O(1): the second half cost no more per cycle than the first (within 3x)");
}
