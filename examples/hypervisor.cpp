// SPDX-License-Identifier: MIT
// Hypervisor: virtual machines of several GB start and stop over a day on a host's memory. By
// evening a 32 GB VM cannot start under first fit though 64 GB are free; the same day under best
// fit leaves room for it, and so does moving one small VM (a minimal-move compaction).
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "claim.hpp"
#include "heapkit/heapkit.hpp"

using namespace heapkit;

namespace {

struct event {
    const char* time;
    std::string vm;
    Size gigabytes;  // 0: the VM stops
};

constexpr Size host_gigabytes = 160;

// A host's memory and where each running VM sits in it.
struct host {
    explicit host(Fit fit) : memory(host_gigabytes, fit) {}
    tree_allocator memory;
    std::map<std::string, Offset> placed;

    void play(const event& step) {
        if (step.gigabytes == 0) {
            memory.free(placed.at(step.vm));
            placed.erase(step.vm);
        } else {
            placed[step.vm] = memory.allocate(step.gigabytes);
        }
    }
};

unsigned long long number(Size units) { return static_cast<unsigned long long>(units); }

}  // namespace

int main() {
    const std::vector<event> day = {
        {"06:00", "db-1", 32},    {"06:05", "web-1", 8},    {"06:10", "db-2", 32},    {"06:15", "web-2", 8},
        {"06:20", "ci-1", 16},    {"06:25", "web-3", 8},    {"06:30", "ci-2", 16},    {"06:35", "web-4", 8},
        {"06:40", "ci-3", 16},    {"06:45", "web-5", 8},    {"06:50", "web-6", 8},    {"12:00", "db-1", 0},
        {"12:05", "db-2", 0},     {"12:10", "ci-1", 0},     {"12:15", "ci-2", 0},     {"12:20", "ci-3", 0},
        {"18:00", "batch-1", 16}, {"18:05", "batch-2", 16}, {"18:10", "batch-3", 16},
    };
    host first_fit(Fit::first);
    host best_fit(Fit::best);
    for (const event& step : day) {
        first_fit.play(step);
        best_fit.play(step);
        std::printf("%s %s %-8s", step.time, step.gigabytes == 0 ? "stop " : "start", step.vm.c_str());
        if (step.gigabytes != 0) std::printf(" %2llu GB", number(step.gigabytes));
        std::printf("\n");
    }
    constexpr Size big_vm = 32;
    std::printf("\nevening, one character per 2 GB ('#' in use, '.' free, '+' both):\n");
    std::printf("first fit  %s  free %llu GB, largest gap %llu GB\n", memory_bar(first_fit.memory, 80).c_str(),
                number(first_fit.memory.free_memory()), number(first_fit.memory.largest_free_block()));
    std::printf("best fit   %s  free %llu GB, largest gap %llu GB\n", memory_bar(best_fit.memory, 80).c_str(),
                number(best_fit.memory.free_memory()), number(best_fit.memory.largest_free_block()));

    std::printf("\n19:00 start analytics %llu GB\n", number(big_vm));
    const Size free_on_first_fit = first_fit.memory.free_memory();
    const bool first_fit_starts = first_fit.memory.try_allocate(big_vm).operator bool();
    std::printf("first fit: %s\n", first_fit_starts ? "started" : "cannot start: no gap of 32 GB");
    const result<Offset> on_best_fit = best_fit.memory.try_allocate(big_vm);
    std::printf("best fit:  %s at GB %llu\n", on_best_fit ? "started" : "cannot start", number(on_best_fit ? *on_best_fit : 0));

    // Live migration on the first-fit host: move as few GB as it takes to open a 32 GB gap.
    const compaction_plan plan = plan_room_for(first_fit.memory, big_vm).value();
    const Size full_compaction = plan_full_compaction(first_fit.memory).units_moved;
    apply_plan(first_fit.memory, plan, [](Offset, Offset, Size) {});  // the hypervisor copies the pages
    const result<Offset> after_migration = first_fit.memory.try_allocate(big_vm);
    std::printf("first fit after migrating %s: %s (%llu GB moved; packing every VM down would move %llu GB)\n",
                describe_moves(plan).c_str(), after_migration ? "started" : "cannot start", number(plan.units_moved),
                number(full_compaction));
    first_fit.memory.validate();
    best_fit.memory.validate();

    claim(free_on_first_fit == 64 && !first_fit_starts, "under first fit the 32 GB VM could not start with 64 GB free");
    claim(on_best_fit.operator bool(), "under best fit the same day leaves a gap for it");
    claim(after_migration && plan.units_moved < big_vm && plan.units_moved < full_compaction,
          "a minimal-move compaction lets it start, moving less than the VM's own size");
}
