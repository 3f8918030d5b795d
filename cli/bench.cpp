// SPDX-License-Identifier: MIT
// `heapkit bench --index I --live N [--fit F] [--free-by address|handle] [--ops M] [--seed S]`: the
// cost of one checked free plus one allocate at steady state with N live blocks
// (heapkit/trace/pair_workload.hpp), and the metadata the allocator holds per live block. Prints a
// table row for people and `index=I fit=F free_by=B live=N ops=M metadata_per_block=Y ns_per_pair=X`
// for scripts (ns_per_pair stays last).
#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "choices.hpp"
#include "commands.hpp"
#include "heapkit/offset/index_registry.hpp"
#include "heapkit/trace/pair_workload.hpp"
#include "numbers.hpp"

namespace heapkit::cli {
namespace {

struct bench_options {
    std::string index = "tlsf";
    std::string fit = "first";
    std::string free_by = "address";
    std::size_t live = 1000;
    std::size_t ops = 0;  // 0: 1,000,000, or 20,000 for the O(n) list
    std::uint64_t seed = 1;
};

struct bench_result {
    double nanoseconds_per_pair;
    double metadata_per_block;  // bytes of the index's and the ledger's bookkeeping per live block
};

template <class Allocator, trace::free_by Naming>
bench_result measure(const bench_options& options, Fit fit) {
    Allocator allocator(trace::pair_workload_capacity(options.live), fit);
    trace::pair_workload<Allocator, Naming> workload(allocator, options.seed);
    workload.fill(options.live);
    workload.run(options.ops / 10);  // reach a steady state before timing
    const auto start = std::chrono::steady_clock::now();
    workload.run(options.ops);
    const std::chrono::duration<double, std::nano> elapsed = std::chrono::steady_clock::now() - start;
    return {elapsed.count() / static_cast<double>(options.ops),
            static_cast<double>(allocator.metadata_bytes()) / static_cast<double>(options.live)};
}

template <class Allocator>
bench_result measure(const bench_options& options, Fit fit) {
    if (options.free_by == "handle") return measure<Allocator, trace::free_by::handle>(options, fit);
    return measure<Allocator, trace::free_by::address>(options, fit);
}

void run_bench(bench_options options) {
    if (options.ops == 0) options.ops = options.index == "list" ? 20000 : 1000000;
    const Fit fit = *fit_from_name(options.fit);
    if (!index_accepts_fit(options.index, fit)) {
        throw CLI::ValidationError(
            "--fit", "applies to --index " + fit_index_names_text() + "; " + options.index + " places by its own rule");
    }
    const std::string fit_label = index_takes_fit(options.index) ? options.fit : options.index;
    const bench_result result = with_index_named(
        options.index, [&](auto allocator) { return measure<typename decltype(allocator)::type>(options, fit); });
    std::printf("%-6s %-6s %-8s %10s %10s %14s %12s\n", "index", "fit", "free by", "live", "ops", "metadata B/blk", "ns/pair");
    std::printf("%-6s %-6s %-8s %10zu %10zu %14.1f %12.1f\n", options.index.c_str(), fit_label.c_str(), options.free_by.c_str(),
                options.live, options.ops, result.metadata_per_block, result.nanoseconds_per_pair);
    std::printf("index=%s fit=%s free_by=%s live=%zu ops=%zu metadata_per_block=%.1f ns_per_pair=%.1f\n", options.index.c_str(),
                fit_label.c_str(), options.free_by.c_str(), options.live, options.ops, result.metadata_per_block,
                result.nanoseconds_per_pair);
}

}  // namespace

void add_bench_command(CLI::App& app) {
    auto options = std::make_shared<bench_options>();
    CLI::App* bench = app.add_subcommand("bench", "Time free+allocate pairs at steady state with N live blocks");
    bench->add_option("--index", options->index, "Free-space index: " + index_help())
        ->check(CLI::IsMember(index_choices()))
        ->capture_default_str();
    bench->add_option("--fit", options->fit, "Placement policy (list and tree)")
        ->check(CLI::IsMember(fit_choices()))
        ->capture_default_str();
    bench->add_option("--free-by", options->free_by, "How freed blocks are named: address (the seed's free) or handle")
        ->check(CLI::IsMember({"address", "handle"}))
        ->capture_default_str();
    add_number_option(bench, "--live", options->live, "Live blocks at steady state", 1, std::size_t{1} << 26);
    add_number_option(bench, "--ops", options->ops, "Timed pairs", 1, std::size_t{1} << 40)
        ->default_str("1000000; 20000 for list");
    add_number_option(bench, "--seed", options->seed, "Seed of the sizes and victims", 0);
    bench->callback([options] { run_bench(*options); });
}

}  // namespace heapkit::cli
