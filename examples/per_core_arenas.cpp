// SPDX-License-Identifier: MIT
// Per-core arenas: four worker threads each allocate in their own arena, so they never wait for
// one another. When one worker's load spikes and its arena runs dry, it steals free space from
// the richest arena instead of asking the system for more. Then the workers free each other's
// blocks (a pipeline), which is where arenas do contend; the run reports steals and waits.
#include <algorithm>
#include <cstdio>
#include <thread>
#include <vector>

#include "claim.hpp"
#include "heapkit/heapkit.hpp"

using namespace heapkit;

int main() {
    constexpr std::size_t workers = 4;
    constexpr std::size_t region_bytes = 256 << 10;
    constexpr std::size_t system_limit_bytes = 2 * region_bytes;
    thread_arenas arenas(
        arena_options{.arena_count = workers, .region_bytes = region_bytes, .upstream_limit_bytes = system_limit_bytes});
    const auto on_every_worker = [](auto work) {
        std::vector<std::thread> threads;
        for (std::size_t worker = 0; worker < workers; ++worker) threads.emplace_back(work, worker);
        for (std::thread& thread : threads) thread.join();
    };
    std::printf("%zu workers, one arena each; the system lends at most %zu KiB in %zu KiB regions\n", workers,
                system_limit_bytes >> 10, region_bytes >> 10);

    // Warm-up: each worker in its own arena. Arenas start empty: the first to need memory takes a
    // region from the system, the others steal from the richest arena.
    on_every_worker([&](std::size_t worker) {
        for (int i = 0; i < 10'000; ++i)
            arenas.deallocate(arenas.try_allocate_in(worker, 64 + static_cast<std::size_t>(i % 200)));
    });
    const std::size_t warm_up_steals = arenas.steal_count();
    std::printf("warm-up: %zu steals, %zu KiB from the system, %zu lock waits\n", warm_up_steals, arenas.upstream_bytes() >> 10,
                arenas.contended_count());

    // Spike: worker 0 needs 400 KiB at once, more than its arena holds.
    std::vector<void*> spike;
    for (int i = 0; i < 100; ++i) spike.push_back(arenas.try_allocate_in(0, 4096));
    const bool spike_served = std::find(spike.begin(), spike.end(), nullptr) == spike.end();
    const std::size_t spike_steals = arenas.steal_count() - warm_up_steals;
    std::printf("spike: worker 0 holds %zu blocks of 4 KiB after %zu more steals; %zu KiB from the system\n", spike.size(),
                spike_steals, arenas.upstream_bytes() >> 10);
    for (void* block : spike) arenas.deallocate(block);

    // Pipeline: in each round every worker allocates a batch in its own arena while it frees the
    // batch the worker before it allocated in the previous round, in that worker's arena.
    constexpr int rounds = 200;
    std::vector<void*> batches[2][workers];
    std::vector<std::size_t> failures(workers, 0);
    const std::size_t waits_before = arenas.contended_count();
    for (int round = 0; round <= rounds; ++round) {
        on_every_worker([&](std::size_t worker) {
            std::vector<void*>& mine = batches[round % 2][worker];
            std::vector<void*>& theirs = batches[(round + 1) % 2][(worker + workers - 1) % workers];
            for (std::size_t i = 0; i < 200; ++i) {
                if (round < rounds) {
                    void* block = arenas.try_allocate_in(worker, 32 + i % 100);
                    failures[worker] += block == nullptr;
                    mine.push_back(block);
                }
                if (i < theirs.size()) arenas.deallocate(theirs[i]);
            }
            theirs.clear();
        });
    }
    std::printf("pipeline: %d blocks, each freed by the next worker; %zu lock waits\n", rounds * 200 * static_cast<int>(workers),
                arenas.contended_count() - waits_before);
    arenas.validate();
    const heap_stats totals = arenas.stats();

    claim(spike_served && spike_steals > 0, "the dry arena stole from the others and served the whole spike");
    claim(arenas.upstream_bytes() <= system_limit_bytes, "the system never lent more than its limit");
    claim(totals.allocation_count == 0 && failures == std::vector<std::size_t>(workers, 0),
          "every block came back to its own arena, whoever freed it");
}
