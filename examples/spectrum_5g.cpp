// SPDX-License-Identifier: MIT
// 5G spectrum: sessions ask for contiguous bands of 5 to 100 MHz in the 500 MHz of band n78
// (3300-3800 MHz, managed in kHz) and release them when they end; freed bands coalesce. The
// same arrivals are played under first fit and best fit, and the blocked sessions compared.
#include <cstdint>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "claim.hpp"
#include "heapkit/heapkit.hpp"

using namespace heapkit;

namespace {

constexpr Size band_khz = 500'000;
constexpr Size band_start_mhz = 3300;

struct arrival {
    Size khz;                // bandwidth asked for
    std::size_t ends_after;  // arrivals until the session ends
};

struct outcome {
    std::size_t served = 0;
    std::size_t blocked_fragmented = 0;  // enough kHz free in total, no contiguous band
    std::size_t blocked_full = 0;        // not enough kHz free at all
    bool refusals_were_right = true;     // no free band could hold a blocked session
    bool coalesced_at_the_end = false;   // one free band of 500 MHz once every session ended
};

outcome play(Fit fit, const std::vector<arrival>& arrivals) {
    tree_allocator spectrum(band_khz, fit);
    struct session {
        std::size_t ends_at;
        Offset start;
        Size khz;
    };
    std::vector<session> active;
    outcome result;
    for (std::size_t now = 0; now < arrivals.size(); ++now) {
        std::erase_if(active, [&](const session& ending) {
            if (ending.ends_at != now) return false;
            spectrum.free(ending.start, ending.khz);
            return true;
        });
        const arrival& wanted = arrivals[now];
        if (const heapkit::result<Offset> band = spectrum.try_allocate(wanted.khz)) {
            active.push_back({now + wanted.ends_after, *band, wanted.khz});
            ++result.served;
            continue;
        }
        ++(spectrum.free_memory() >= wanted.khz ? result.blocked_fragmented : result.blocked_full);
        for (const free_block gap : spectrum.free_blocks())
            result.refusals_were_right = result.refusals_were_right && gap.size < wanted.khz;
    }
    for (const session& ending : active) spectrum.free(ending.start, ending.khz);
    spectrum.validate();
    result.coalesced_at_the_end = spectrum.free_block_count() == 1 && spectrum.largest_free_block() == band_khz;
    return result;
}

}  // namespace

int main() {
    const Size bandwidths_mhz[] = {5, 10, 20, 40, 100};
    std::vector<arrival> arrivals;
    std::uint64_t traffic = 0x5636;  // xorshift: the same arrivals for both policies
    for (std::size_t i = 0; i < 20'000; ++i) {
        traffic ^= traffic << 13;
        traffic ^= traffic >> 7;
        traffic ^= traffic << 17;
        arrivals.push_back({bandwidths_mhz[traffic % 5] * 1000, 1 + (traffic >> 8) % 30});
    }
    std::printf("band n78, %llu-%llu MHz: %zu sessions of 5-100 MHz arriving one by one, each lasting 1-30 arrivals\n",
                static_cast<unsigned long long>(band_start_mhz),
                static_cast<unsigned long long>(band_start_mhz + band_khz / 1000), arrivals.size());
    std::printf("policy      served  blocked: fragmented  full\n");
    const outcome first = play(Fit::first, arrivals);
    const outcome best = play(Fit::best, arrivals);
    const std::pair<const char*, outcome> policies[] = {{"first fit", first}, {"best fit", best}};
    for (const auto& [name, played] : policies) {
        std::printf("%-10s %7zu  %19zu  %4zu\n", name, played.served, played.blocked_fragmented, played.blocked_full);
    }
    const auto blocked = [](const outcome& played) { return played.blocked_fragmented + played.blocked_full; };
    for (const auto& [name, played] : policies) {
        const std::string policy = name;
        claim(played.served + blocked(played) == arrivals.size() && played.refusals_were_right,
              (policy + ": every session was served or blocked, and blocked only when no free band could hold it").c_str());
        claim(played.coalesced_at_the_end,
              (policy + ": once every session ended, the freed bands coalesced into the whole 500 MHz").c_str());
    }
    claim(blocked(best) < blocked(first), "best fit blocked fewer sessions than first fit for the same arrivals");
}
