// SPDX-License-Identifier: MIT
// heapkit::trace::generate: synthetic workloads in heapkit's trace format, reproducible from a
// seed: ramp (fill, then free all in random order), peaks (bursts that mostly die), plateau
// (fill, then random free + allocate pairs), random (allocate or free at random), lifo (the
// sensor: buffers freed in reverse order of allocation) and vm (a few huge, long-lived blocks).
// O(operations).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <ostream>
#include <string_view>

namespace heapkit::trace {

enum class workload : unsigned char { ramp, peaks, plateau, random, lifo, vm };

inline constexpr std::array<std::string_view, 6> workload_names{"ramp", "peaks", "plateau", "random", "lifo", "vm"};

std::optional<workload> workload_from_name(std::string_view name) noexcept;

// Writes about `operations` lines of `kind` to `out` (every block it allocates is freed by the
// end, except in plateau and random, which stop where they are).
void generate(workload kind, std::size_t operations, std::uint64_t seed, std::ostream& out);

}  // namespace heapkit::trace
