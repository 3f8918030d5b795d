// SPDX-License-Identifier: MIT
// Size classes and mmap: a string-heavy program linked with heapkit's malloc, asking its
// statistics which path served each size. Small blocks come from the thread's own size-class
// slabs (no lock), medium ones from the boundary-tag heap, large ones get a mapping each.
// Runs itself again with HEAPKIT_STATS=1 when the counters are off.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "claim.hpp"
#include "heapkit/malloc.h"

namespace {

struct path_counts {
    unsigned long long slab, heap, mmap;
};

path_counts counted_now() {
    heapkit_malloc_statistics now{};
    heapkit_malloc_read_statistics(&now);
    return {now.from_slabs, now.from_heap, now.from_mmap};
}

const char* main_path(const path_counts& added) {
    if (added.slab + added.heap + added.mmap == 0) return "none: it fits in std::string's own buffer";
    if (added.mmap >= added.heap && added.mmap >= added.slab) return "mmap";
    return added.slab > added.heap ? "slab" : "heap";
}

}  // namespace

int main(int, char** argv) {
    heapkit_malloc_statistics probe{};
    if (heapkit_malloc_read_statistics(&probe) == 0) {
        setenv("HEAPKIT_STATS", "1", 1);
        execv("/proc/self/exe", argv);
        std::perror("re-running with HEAPKIT_STATS=1");
        return 1;
    }
    std::printf("%s\n", heapkit_malloc_version());
    std::printf("%10s %7s  %6s %6s %6s  %s\n", "length", "strings", "slab", "heap", "mmap", "path");
    struct row {
        std::size_t length;
        std::size_t strings;
        const char* expected;
    };
    const row rows[] = {{10, 1000, "none"},    {100, 1000, "slab"},     {1000, 1000, "slab"},   {10'000, 200, "slab"},
                        {100'000, 50, "heap"}, {1'000'000, 10, "mmap"}, {10'000'000, 4, "mmap"}};
    bool as_expected = true;
    for (const row& each : rows) {
        std::vector<std::string> kept;
        kept.reserve(each.strings);  // before counting: the vector's own block is not a string's
        const path_counts before = counted_now();
        for (std::size_t i = 0; i < each.strings; ++i) kept.emplace_back(each.length, static_cast<char>('a' + i % 26));
        const path_counts after = counted_now();
        const path_counts added{after.slab - before.slab, after.heap - before.heap, after.mmap - before.mmap};
        const char* path = main_path(added);
        std::printf("%10zu %7zu  %6llu %6llu %6llu  %s\n", each.length, each.strings, added.slab, added.heap, added.mmap, path);
        as_expected = as_expected && std::string(path).starts_with(each.expected);
    }
    claim(as_expected, "short strings take no block, up to 16 KiB the slabs, then the heap, from 512 KiB a mapping");
}
