// SPDX-License-Identifier: MIT
// `heapkit demo`: the seed's worked example step by step with memory maps, its fragmentation
// example, and one request sequence under every placement policy side by side.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "commands.hpp"
#include "heapkit/offset/memory_allocator.hpp"
#include "heapkit/offset/memory_map.hpp"

namespace heapkit::cli {
namespace {

// One call of the seed's API: allocate(size) when address is absent, else free(address, size).
struct step {
    std::optional<Offset> address;
    Size size;
};

step allocate_step(Size size) { return {std::nullopt, size}; }
step free_step(Offset address, Size size) { return {address, size}; }

std::string describe(const step& call) {
    if (!call.address) return "allocate(" + std::to_string(call.size) + ")";
    return "free(" + std::to_string(*call.address) + ", " + std::to_string(call.size) + ")";
}

// Runs the call and says what it returned: an address, "ok", or the error kind.
std::string play(MemoryAllocator& allocator, const step& call, bool with_message = false) {
    try {
        if (!call.address) return std::to_string(allocator.allocate(call.size));
        allocator.free(*call.address, call.size);
        return "ok";
    } catch (const heapkit::error& failure) {
        std::string text = "error " + std::string(kind_name(failure.kind()));
        if (with_message) text += std::string(": ") + failure.what();
        return text;
    }
}

std::string padded(std::string text, std::size_t width) {
    if (text.size() < width) text.append(width - text.size(), ' ');
    return text;
}

// One row of the side-by-side table: a label, then one cell per policy.
void print_row(const std::string& label, const std::vector<std::string>& cells) {
    std::string row = "   " + padded(label, 16);
    for (const std::string& cell : cells) row += padded(cell, 20);
    row.erase(row.find_last_not_of(' ') + 1);
    std::cout << row << '\n';
}

std::string ratio(double value) {
    char text[16];
    std::snprintf(text, sizeof text, "%.2f", value);
    return text;
}

void seed_example() {
    std::cout << "1. The seed's worked example: MemoryAllocator(100), first fit\n";
    MemoryAllocator allocator(100);
    const std::vector<step> calls = {allocate_step(20), allocate_step(30), allocate_step(40), free_step(20, 30),
                                     allocate_step(25), free_step(0, 20),  free_step(20, 25)};
    for (const step& call : calls) {
        const std::string outcome = play(allocator, call);
        std::cout << "   " << padded(describe(call), 14) << " -> " << padded(outcome, 4) << "  " << memory_map(allocator) << '\n';
    }
    std::cout << "   free memory " << allocator.free_memory() << ", largest free block " << allocator.largest_free_block()
              << "\n\n";
}

void fragmentation_example() {
    std::cout << "2. External fragmentation: 100 units, 60 free in 6 blocks of 10\n";
    MemoryAllocator allocator(100);
    for (Offset start = 0; start < 100; start += 18) {  // 10 free-to-be units, then 8 kept
        allocator.allocate(10);
        if (start + 10 < 100) allocator.allocate(8);
    }
    for (Offset start = 0; start < 100; start += 18) allocator.free(start, 10);
    std::cout << "   " << memory_map(allocator) << '\n';
    std::cout << "   free memory " << allocator.free_memory() << " in " << allocator.free_block_count() << " blocks, largest "
              << allocator.largest_free_block() << ", external fragmentation " << ratio(allocator.external_fragmentation())
              << '\n';
    std::cout << "   allocate(50) -> " << play(allocator, allocate_step(50), true) << "\n\n";
}

void policies_side_by_side() {
    std::cout << "3. One request sequence under each placement policy (capacity 100)\n";
    const std::vector<step> calls = {allocate_step(20), allocate_step(10), allocate_step(30), allocate_step(10),
                                     allocate_step(20), free_step(0, 20),  free_step(30, 30), allocate_step(10),
                                     allocate_step(15), allocate_step(20), allocate_step(5),  allocate_step(25)};
    std::vector<MemoryAllocator> allocators;
    std::vector<std::string> names;
    for (Fit fit : all_fits) {
        allocators.emplace_back(100, fit);
        names.emplace_back(fit_name(fit));
    }
    print_row("call", names);
    for (const step& call : calls) {
        std::vector<std::string> outcomes;
        for (MemoryAllocator& allocator : allocators) outcomes.push_back(play(allocator, call));
        print_row(describe(call), outcomes);
    }
    auto summary = [&](const std::string& label, auto figure) {
        std::vector<std::string> cells;
        for (const MemoryAllocator& allocator : allocators) cells.push_back(figure(allocator));
        print_row(label, cells);
    };
    summary("free blocks", [](const MemoryAllocator& a) { return std::to_string(a.free_block_count()); });
    summary("largest free", [](const MemoryAllocator& a) { return std::to_string(a.largest_free_block()); });
    summary("fragmentation", [](const MemoryAllocator& a) { return ratio(a.external_fragmentation()); });
    std::cout << "\n   final maps:\n";
    for (const MemoryAllocator& allocator : allocators) {
        std::cout << "   " << padded(std::string(fit_name(allocator.fit())), 6) << memory_map(allocator) << '\n';
    }
}

}  // namespace

void add_demo_command(CLI::App& app) {
    CLI::App* demo = app.add_subcommand("demo", "Play the seed's examples step by step");
    demo->callback([] {
        std::cout << "heapkit demo: the seed's MemoryAllocator\n\n";
        seed_example();
        fragmentation_example();
        policies_side_by_side();
    });
}

}  // namespace heapkit::cli
