// SPDX-License-Identifier: MIT
// Cargo ship: containers of different lengths in a one-dimensional hold of 60 m. Best fit tucks
// a small container into the tightest gap, right beside a container about to be unloaded, and so
// blocks that space from merging; worst fit puts it in the largest gap, and when the neighbour
// leaves at the next port, the late 18 m container fits only in the worst-fit hold.
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "claim.hpp"
#include "heapkit/heapkit.hpp"

using namespace heapkit;

namespace {

struct step {
    const char* port;
    char container;  // its letter in the drawing
    Size metres;     // 0: unloaded here
};

// The hold: one character per metre, each container drawn with its letter.
struct hold {
    explicit hold(Fit fit) : deck(60, fit), drawing(60, '.') {}
    tree_allocator deck;
    std::string drawing;
    std::map<char, Offset> placed;

    bool load(char container, Size metres) {
        const result<Offset> slot = deck.try_allocate(metres);
        if (!slot) return false;
        placed[container] = *slot;
        drawing.replace(*slot, metres, std::string(metres, container));
        return true;
    }
    void unload(char container) {
        const Offset slot = placed.at(container);
        const Size metres = deck.allocation_at(slot)->size;
        deck.free(slot);
        drawing.replace(slot, metres, std::string(metres, '.'));
        placed.erase(container);
    }
};

}  // namespace

int main() {
    const std::vector<step> voyage = {
        {"Rotterdam", 'A', 10}, {"Rotterdam", 'B', 4}, {"Rotterdam", 'C', 16}, {"Rotterdam", 'D', 20},
        {"Hamburg", 'B', 0},    {"Hamburg", 'E', 4},   {"Antwerp", 'C', 0},
    };
    hold best(Fit::best);
    hold worst(Fit::worst);
    std::printf("port       %-14s %-62s %s\n", "step", "best fit", "worst fit");
    for (const step& each : voyage) {
        if (each.metres == 0) {
            best.unload(each.container);
            worst.unload(each.container);
        } else {
            best.load(each.container, each.metres);
            worst.load(each.container, each.metres);
        }
        char action[32];
        std::snprintf(action, sizeof action, each.metres == 0 ? "unload %c" : "load %c %2llu m", each.container,
                      static_cast<unsigned long long>(each.metres));
        std::printf("%-10s %-14s %s   %s\n", each.port, action, best.drawing.c_str(), worst.drawing.c_str());
    }
    constexpr Size late_metres = 18;
    const bool best_takes_it = best.load('L', late_metres);
    const bool worst_takes_it = worst.load('L', late_metres);
    std::printf("%-10s %-14s %s   %s\n", "Antwerp", "load L 18 m", best.drawing.c_str(), worst.drawing.c_str());
    std::printf("best fit: %s; worst fit: %s\n", best_takes_it ? "loaded" : "no room (largest gap 16 m)",
                worst_takes_it ? "loaded" : "no room");
    best.deck.validate();
    worst.deck.validate();

    claim(best.deck.free_memory() >= late_metres && !best_takes_it,
          "best fit has the metres free but no gap of 18 m: E sits where C's space would have merged");
    claim(worst_takes_it, "worst fit kept the gap next to C open, so the late 18 m container fits");
}
