// SPDX-License-Identifier: MIT
// glibc's introspection and tuning calls, answered from heapkit's heap (process_heap.hpp's
// census), so that a program asking them learns about the malloc that serves it rather than
// glibc's idle one: mallinfo2 and mallinfo, malloc_stats, malloc_info (glibc's XML shape),
// malloc_trim (gives memory back now) and mallopt (answered as glibc answers, and nothing
// changes: heapkit sizes its caches itself). docs/PROTOCOL.md, "glibc's introspection calls",
// says what each field holds.
#include <errno.h>  // EINVAL
#include <malloc.h>

#include <climits>
#include <cstddef>
#include <cstdio>

#include "export.hpp"
#include "process_heap.hpp"

namespace {

using namespace heapkit::malloc_layer;

// glibc's arenas are heapkit's slabs (arena 0) and medium arenas (arena 1); its mmapped chunks
// are the large blocks.
struct mallinfo2 to_mallinfo2(const heap_census& census) noexcept {
    struct mallinfo2 info {};
    info.arena = census.slabs.mapped_bytes + census.arenas.mapped_bytes;
    info.ordblks = census.arenas.free_blocks;
    info.hblks = census.large.live_blocks;
    info.hblkhd = census.large.live_mapped_bytes;
    info.uordblks = census.slabs.in_use_bytes + census.arenas.in_use_bytes;
    info.fordblks = info.arena > info.uordblks ? info.arena - info.uordblks : 0;
    return info;
}

int clamped(std::size_t value) noexcept { return value > INT_MAX ? INT_MAX : static_cast<int>(value); }

}  // namespace

HEAPKIT_EXPORT struct mallinfo2 mallinfo2() noexcept { return to_mallinfo2(take_census()); }

HEAPKIT_EXPORT struct mallinfo mallinfo() noexcept {
    const struct mallinfo2 wide = mallinfo2();
    struct mallinfo info {};
    info.arena = clamped(wide.arena);
    info.ordblks = clamped(wide.ordblks);
    info.hblks = clamped(wide.hblks);
    info.hblkhd = clamped(wide.hblkhd);
    info.uordblks = clamped(wide.uordblks);
    info.fordblks = clamped(wide.fordblks);
    return info;
}

HEAPKIT_EXPORT int malloc_trim(std::size_t) noexcept { return trim_memory() != 0 ? 1 : 0; }

HEAPKIT_EXPORT void malloc_stats() noexcept {
    const heap_census census = take_census();
    const struct mallinfo2 info = to_mallinfo2(census);
    std::fprintf(stderr,
                 "Arena 0:\nsystem bytes     = %10zu\nin use bytes     = %10zu\n"
                 "Arena 1:\nsystem bytes     = %10zu\nin use bytes     = %10zu\n"
                 "Total (incl. mmap):\nsystem bytes     = %10zu\nin use bytes     = %10zu\n"
                 "max mmap regions = %10zu\nmax mmap bytes   = %10zu\n",
                 census.slabs.mapped_bytes, census.slabs.in_use_bytes, census.arenas.mapped_bytes, census.arenas.in_use_bytes,
                 info.arena + info.hblkhd, info.uordblks + info.hblkhd, census.large.most_blocks, census.large.most_mapped_bytes);
}

HEAPKIT_EXPORT int malloc_info(int options, FILE* stream) noexcept {
    if (options != 0) return EINVAL;  // glibc's answer (its manual says -1 and errno; glibc does this)
    const heap_census census = take_census();
    const struct mallinfo2 info = to_mallinfo2(census);
    const std::size_t slab_free = census.slabs.mapped_bytes - census.slabs.in_use_bytes;
    std::fprintf(stream, "<malloc version=\"1\">\n");
    const std::size_t heaps[2][3] = {{0, slab_free, census.slabs.mapped_bytes},
                                     {census.arenas.free_blocks, census.arenas.free_bytes, census.arenas.mapped_bytes}};
    for (int number = 0; number < 2; ++number) {
        const auto [free_count, free_bytes, mapped] = heaps[number];
        std::fprintf(stream,
                     "<heap nr=\"%d\">\n<sizes>\n</sizes>\n<total type=\"fast\" count=\"0\" size=\"0\"/>\n"
                     "<total type=\"rest\" count=\"%zu\" size=\"%zu\"/>\n<system type=\"current\" size=\"%zu\"/>\n"
                     "<system type=\"max\" size=\"%zu\"/>\n<aspace type=\"total\" size=\"%zu\"/>\n"
                     "<aspace type=\"mprotect\" size=\"%zu\"/>\n</heap>\n",
                     number, free_count, free_bytes, mapped, mapped, mapped, mapped);
    }
    std::fprintf(stream,
                 "<total type=\"fast\" count=\"0\" size=\"0\"/>\n<total type=\"rest\" count=\"%zu\" size=\"%zu\"/>\n"
                 "<total type=\"mmap\" count=\"%zu\" size=\"%zu\"/>\n<system type=\"current\" size=\"%zu\"/>\n"
                 "<system type=\"max\" size=\"%zu\"/>\n<aspace type=\"total\" size=\"%zu\"/>\n"
                 "<aspace type=\"mprotect\" size=\"%zu\"/>\n</malloc>\n",
                 info.ordblks, info.fordblks, census.large.live_blocks, census.large.live_mapped_bytes, info.arena, info.arena,
                 info.arena, info.arena);
    return 0;
}

// Every parameter is taken as glibc 2.36 takes it (1; 0 only for M_MXFAST outside
// 0..80 * sizeof(size_t) / 4; a parameter glibc does not know is 1 too), and none changes
// anything.
HEAPKIT_EXPORT int mallopt(int parameter, int value) noexcept {
    if (parameter == M_MXFAST) return value >= 0 && static_cast<std::size_t>(value) <= 80 * sizeof(std::size_t) / 4 ? 1 : 0;
    return 1;
}
