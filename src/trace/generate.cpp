// SPDX-License-Identifier: MIT
// Synthetic allocation workloads written in heapkit's trace format.
#include "heapkit/trace/generate.hpp"

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "heapkit/offset/units.hpp"

namespace heapkit::trace {
namespace {

class writer {
public:
    writer(std::ostream& out, std::uint64_t seed) : out_(out), random_(seed) {}

    // Sizes spread evenly over the powers of two in [low, high].
    Size size(Size low, Size high) {
        std::uniform_real_distribution<double> exponent(std::log2(static_cast<double>(low)),
                                                        std::log2(static_cast<double>(high)));
        return std::clamp(static_cast<Size>(std::exp2(exponent(random_))), low, high);
    }
    std::size_t pick(std::size_t count) { return std::uniform_int_distribution<std::size_t>(0, count - 1)(random_); }

    void allocate(Size size) {
        out_ << "a " << next_id_ << ' ' << size << '\n';
        live_.push_back(next_id_++);
        ++written_;
    }
    void free_at(std::size_t index) {
        out_ << "f " << live_[index] << '\n';
        live_[index] = live_.back();
        live_.pop_back();
        ++written_;
    }
    void free_last() {
        out_ << "f " << live_.back() << '\n';
        live_.pop_back();
        ++written_;
    }
    void free_all_randomly() {
        while (!live_.empty()) free_at(pick(live_.size()));
    }
    std::size_t live() const noexcept { return live_.size(); }
    std::size_t written() const noexcept { return written_; }

private:
    std::ostream& out_;
    std::mt19937_64 random_;
    std::vector<std::uint64_t> live_;  // ids of live blocks
    std::uint64_t next_id_ = 0;
    std::size_t written_ = 0;
};

}  // namespace

std::optional<workload> workload_from_name(std::string_view name) noexcept {
    for (std::size_t i = 0; i < workload_names.size(); ++i) {
        if (workload_names[i] == name) return static_cast<workload>(i);
    }
    return std::nullopt;
}

void generate(workload kind, std::size_t operations, std::uint64_t seed, std::ostream& out) {
    writer trace(out, seed);
    out << "# heapkit gen " << workload_names[static_cast<std::size_t>(kind)] << " ops=" << operations << " seed=" << seed
        << '\n';
    switch (kind) {
        case workload::ramp:
            while (trace.written() < operations / 2) trace.allocate(trace.size(16, 4096));
            trace.free_all_randomly();
            break;
        case workload::peaks:
            while (trace.written() < operations) {
                const std::size_t burst = 1 + trace.pick(std::max<std::size_t>(1, operations / 20));
                for (std::size_t i = 0; i < burst; ++i) trace.allocate(trace.size(16, 4096));
                while (trace.live() > burst / 10) trace.free_at(trace.pick(trace.live()));  // most of the burst dies
            }
            trace.free_all_randomly();
            break;
        case workload::plateau:
            while (trace.written() < operations / 4) trace.allocate(trace.size(16, 4096));
            while (trace.written() + 2 <= operations) {
                trace.free_at(trace.pick(trace.live()));
                trace.allocate(trace.size(16, 4096));
            }
            break;
        case workload::random:
            while (trace.written() < operations) {
                if (trace.live() == 0 || trace.pick(5) < 3) {
                    trace.allocate(trace.size(16, 4096));
                } else {
                    trace.free_at(trace.pick(trace.live()));
                }
            }
            break;
        case workload::lifo:
            // Wake, take one to three buffers, transmit, free them in reverse order.
            while (trace.written() < operations) {
                const std::size_t depth = 1 + trace.pick(3);
                for (std::size_t i = 0; i < depth; ++i) trace.allocate(256);
                while (trace.live() > 0) trace.free_last();
            }
            break;
        case workload::vm:
            // Virtual machines of 1 to 64 GiB in units of 4 KiB pages, at most 16 running.
            while (trace.written() < operations) {
                if (trace.live() < 16 && (trace.live() == 0 || trace.pick(2) == 0)) {
                    trace.allocate(trace.size(Size{1} << 18, Size{1} << 24));
                } else {
                    trace.free_at(trace.pick(trace.live()));
                }
            }
            trace.free_all_randomly();
            break;
    }
}

}  // namespace heapkit::trace
