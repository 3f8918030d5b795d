// SPDX-License-Identifier: MIT
// Disk defragmenter: files are allocations on a disk of clusters. After deletions the disk has
// enough free clusters for a new file but no run long enough; a minimal compaction moves a few
// files (their clusters too) and the file fits.
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "claim.hpp"
#include "heapkit/heapkit.hpp"

using namespace heapkit;

namespace {

struct file {
    char name;  // 'A', 'B', ...: what its clusters hold
    Offset start;
    Size clusters;
};

unsigned long long number(Size units) { return static_cast<unsigned long long>(units); }

}  // namespace

int main() {
    constexpr Size disk_clusters = 96;
    constexpr Size new_file = 20;
    tree_allocator disk(disk_clusters);       // first fit, as a simple file system places files
    std::string surface(disk_clusters, '.');  // the disk's contents, one character per cluster
    const auto write = [&surface](Offset start, Size clusters, char name) {
        surface.replace(start, clusters, std::string(clusters, name));
    };

    std::vector<file> files;
    for (const Size clusters : {8u, 6u, 10u, 4u, 9u, 7u, 12u, 5u, 8u, 6u, 9u, 6u}) {
        files.push_back({static_cast<char>('A' + files.size()), disk.allocate(clusters), clusters});
        write(files.back().start, clusters, files.back().name);
    }
    for (std::size_t i = 1; i < files.size(); i += 2) {  // delete every second file
        disk.free(files[i].start, files[i].clusters);
        write(files[i].start, files[i].clusters, '.');
    }
    std::erase_if(files, [](const file& deleted) { return (deleted.name - 'A') % 2 == 1; });
    std::printf("a disk of %llu clusters: 12 files written, every second one deleted\n", number(disk_clusters));
    std::printf("before  %s\n", surface.c_str());
    std::printf("free: %llu clusters in %zu runs, the longest %llu\n", number(disk.free_memory()), disk.free_block_count(),
                number(disk.largest_free_block()));

    bool fitted_before = true;
    try {
        disk.free(disk.allocate(new_file), new_file);
    } catch (const out_of_memory& refused) {
        fitted_before = false;
        std::printf("writing a %llu-cluster file: %s\n", number(new_file), refused.what());
    }

    const compaction_plan plan = plan_room_for(disk, new_file).value();
    const Size full_compaction = plan_full_compaction(disk).units_moved;
    std::printf("defragmenting, FROM->TO:CLUSTERS: %s\n", describe_moves(plan).c_str());
    std::printf("%llu clusters moved (sliding every file down would move %llu)\n", number(plan.units_moved),
                number(full_compaction));
    apply_plan(disk, plan, [&](Offset from, Offset to, Size clusters) {
        const std::string contents = surface.substr(from, clusters);
        write(from, clusters, '.');
        surface.replace(to, clusters, contents);
        for (file& moved : files) {
            if (moved.start == from) moved.start = to;
        }
    });
    const Offset placed = disk.allocate(new_file);
    write(placed, new_file, 'N');
    std::printf("after   %s  (N: the new file)\n", surface.c_str());
    disk.validate();

    claim(!fitted_before, "the new file did not fit before defragmenting, and fits after it");
    claim(std::all_of(files.begin(), files.end(),
                      [&](const file& kept) {
                          return surface.compare(kept.start, kept.clusters, std::string(kept.clusters, kept.name)) == 0;
                      }),
          "every file's clusters still hold its data after the moves");
    claim(plan.units_moved < full_compaction, "the minimal plan moved fewer clusters than a full compaction would");
    std::string occupied = surface;
    std::replace_if(
        occupied.begin(), occupied.end(), [](char cluster) { return cluster != '.'; }, '#');
    claim(memory_bar(disk, disk_clusters) == occupied, "the allocator's map and the disk's contents agree cluster by cluster");
}
