// SPDX-License-Identifier: MIT
// Seeds for randomized tests: HEAPKIT_SEED replays a run, otherwise a fresh seed is drawn.
// Every randomized test prints its seed, so a failure names the command that reproduces it.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <random>
#include <string>

namespace heapkit::test {

inline std::uint64_t test_seed(const std::string& test_name) {
    std::uint64_t seed = 0;
    if (const char* fixed = std::getenv("HEAPKIT_SEED")) {
        seed = std::stoull(fixed);
    } else {
        std::random_device entropy;
        seed = (std::uint64_t{entropy()} << 32) | entropy();
    }
    std::cout << "[ seed     ] " << test_name << ": HEAPKIT_SEED=" << seed << " replays this run\n";
    return seed;
}

// How many operations a randomized test runs: `usual`, or HEAPKIT_TEST_OPS when set (for long
// local runs).
inline std::size_t test_operations(std::size_t usual) {
    if (const char* ops = std::getenv("HEAPKIT_TEST_OPS")) return std::stoull(ops);
    return usual;
}

}  // namespace heapkit::test
