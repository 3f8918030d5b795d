// SPDX-License-Identifier: MIT
// Uses the installed heapkit: the seed's example through heapkit.hpp (linked with heapkit::heapkit),
// or through the offset layer's own headers (HEAPKIT_OFFSET_ONLY, linked with heapkit::offset alone);
// exits 0 when it matches.
#ifdef HEAPKIT_OFFSET_ONLY
#include <heapkit/offset/allocators.hpp>
#include <heapkit/offset/memory_map.hpp>
#include <heapkit/version.hpp>
#else
#include <heapkit/heapkit.hpp>
#endif

#include <cstdio>

int main() {
    heapkit::MemoryAllocator allocator(100);
    const bool seed_addresses = allocator.allocate(20) == 0 && allocator.allocate(30) == 20 && allocator.allocate(40) == 50;
    allocator.free(20, 30);
    const bool reused = allocator.allocate(25) == 20;
    const bool map =
        heapkit::memory_map(allocator) == "[Allocated(0-19)] [Allocated(20-44)] [Free(45-49)] [Allocated(50-89)] [Free(90-99)]";
    std::printf("heapkit %s: %s\n", heapkit::version, seed_addresses && reused && map ? "ok" : "FAILED");
    return seed_addresses && reused && map ? 0 : 1;
}
