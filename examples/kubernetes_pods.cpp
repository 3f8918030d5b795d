// SPDX-License-Identifier: MIT
// Kubernetes pods: each node has CPU cores, handed out by a pool allocator (one block per core),
// and RAM, managed by a buddy allocator (GiB units, rounded up to powers of two). The scheduler
// places each pod on the node where both fit most tightly (best fit on the leftover share of
// cores plus RAM) and reports what is left on every node.
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "claim.hpp"
#include "heapkit/heapkit.hpp"

using namespace heapkit;

namespace {

struct pod {
    std::string name;
    Size cores;
    Size ram_gib;
};

struct node {
    node(std::string node_name, Size core_count, Size ram_gib) : name(std::move(node_name)), cores(core_count, 1), ram(ram_gib) {}
    std::string name;
    pool_allocator cores;  // one block per core
    buddy_allocator ram;   // GiB
    std::vector<std::string> pods;

    // The share of the node left free if `wanted` were placed here (lower is a tighter fit), or
    // nothing when it does not fit. Tries the RAM for real and gives it back.
    std::optional<double> score(const pod& wanted) {
        if (cores.free_block_count() < wanted.cores) return std::nullopt;
        const result<Offset> trial = ram.try_allocate(wanted.ram_gib);
        if (!trial) return std::nullopt;
        const double ram_left = static_cast<double>(ram.free_memory()) / static_cast<double>(ram.capacity());
        ram.free(*trial, wanted.ram_gib);
        const double cores_left =
            static_cast<double>(cores.free_block_count() - wanted.cores) / static_cast<double>(cores.capacity());
        return cores_left + ram_left;
    }

    void place(const pod& chosen) {
        for (Size core = 0; core < chosen.cores; ++core) cores.allocate(1);
        ram.allocate(chosen.ram_gib);
        pods.push_back(chosen.name);
    }
};

unsigned long long number(Size units) { return static_cast<unsigned long long>(units); }

}  // namespace

int main() {
    std::vector<node> cluster;
    cluster.emplace_back("node-a", 16, 64);
    cluster.emplace_back("node-b", 8, 32);
    cluster.emplace_back("node-c", 32, 96);
    const std::vector<pod> pods = {
        {"postgres", 4, 16}, {"redis", 1, 8},   {"api-1", 2, 3},    {"api-2", 2, 3},    {"api-3", 2, 3},
        {"trainer", 12, 40}, {"search", 4, 20}, {"frontend", 2, 2}, {"batch-1", 6, 12}, {"batch-2", 6, 12},
        {"logger", 1, 1},    {"metrics", 2, 6}, {"etl", 8, 30},     {"cache-2", 1, 8},  {"giant", 24, 80},
    };

    std::vector<const pod*> pending;
    for (const pod& wanted : pods) {
        node* best = nullptr;
        double best_score = 0;
        for (node& candidate : cluster) {
            const std::optional<double> fit = candidate.score(wanted);
            if (fit && (best == nullptr || *fit < best_score)) {
                best = &candidate;
                best_score = *fit;
            }
        }
        std::printf("%-9s cpu %2llu  ram %3llu GiB -> ", wanted.name.c_str(), number(wanted.cores), number(wanted.ram_gib));
        if (best == nullptr) {
            std::printf("pending: no node has room\n");
            pending.push_back(&wanted);
            continue;
        }
        best->place(wanted);
        std::printf("%s\n", best->name.c_str());
    }

    std::printf("\nnode    cores free   RAM free  RAM rounded up (buddy)  pods\n");
    bool consistent = true;
    for (node& each : cluster) {
        std::printf("%-7s %4zu of %2llu  %3llu GiB    %3llu GiB                 ", each.name.c_str(),
                    each.cores.free_block_count(), number(each.cores.capacity()), number(each.ram.free_memory()),
                    number(each.ram.reserved_memory() - each.ram.used_memory()));
        for (const std::string& name : each.pods) std::printf("%s ", name.c_str());
        std::printf("\n");
        each.cores.validate();
        each.ram.validate();
        consistent = consistent && each.cores.allocation_count() + each.cores.free_block_count() == each.cores.block_count();
    }

    std::printf("\n%zu of %zu pods placed\n", pods.size() - pending.size(), pods.size());
    bool pending_fit_nowhere = true;
    for (const pod* waiting : pending) {
        for (node& each : cluster) pending_fit_nowhere = pending_fit_nowhere && !each.score(*waiting);
    }
    claim(consistent, "every node's cores and RAM add up (validate() on both allocators)");
    claim(pending_fit_nowhere, "every pending pod fits on no node: the scheduler never refuses a pod it could place");
    claim(pending.size() < pods.size(), "the cluster runs most of the pods");
}
