// SPDX-License-Identifier: MIT
// Particle system with a logical leak: particles that leave the screen are moved to a list that
// nobody empties. Nothing is lost to the allocator (every block is still referenced), so a leak
// checker at exit cannot help; the debug heap's snapshots over time name the allocation site
// whose live bytes keep growing. The fixed version frees them, and its memory is flat.
#include <algorithm>
#include <cstdio>
#include <list>
#include <span>
#include <vector>

#include "claim.hpp"
#include "heapkit/heapkit.hpp"

using namespace heapkit;

namespace {

struct particle {
    float x, y, dx, dy;
};

using debugged_heap = debug_heap<boundary_tag_heap>;

struct verdict {
    std::size_t growing_sites;  // sites whose live bytes grew between every two snapshots
    bool spawn_site_grows;      // one of them is the line that allocates particles
};

// One run of the game loop, 600 frames with a snapshot every 100.
verdict play(bool leaky, std::span<std::byte> memory) {
    debugged_heap heap(debug_options{.backtrace_depth = 0}, memory);
    void* texture = heap.allocate(4096);  // loaded once: steady
    std::list<particle*> on_screen;
    std::list<particle*> off_screen;  // the bug: filled, never emptied
    std::vector<live_snapshot> series;
    unsigned seed = 1;
    for (int frame = 1; frame <= 600; ++frame) {
        void* scratch = heap.allocate(1024);  // per-frame work buffer: steady
        for (int spawned = 0; spawned < 8; ++spawned) {
            seed = seed * 1103515245u + 12345u;
            auto* fresh = static_cast<particle*>(heap.allocate(sizeof(particle)));
            *fresh = {0.0f, 0.0f, static_cast<float>(seed % 7) + 1.0f, static_cast<float>(seed % 5) + 1.0f};
            on_screen.push_back(fresh);
        }
        for (auto each = on_screen.begin(); each != on_screen.end();) {
            particle& moving = **each;
            moving.x += moving.dx;
            moving.y += moving.dy;
            if (moving.x < 320.0f && moving.y < 240.0f) {
                ++each;
                continue;
            }
            if (leaky) {
                off_screen.push_back(*each);  // "kept for the trail effect", and never freed
            } else {
                heap.deallocate(*each);
            }
            each = on_screen.erase(each);
        }
        heap.deallocate(scratch);
        if (frame % 100 == 0) series.push_back(heap.snapshot());
    }
    const std::vector<site_growth> growing = growing_sites(series);
    std::printf("%s: %zu particles on screen, %zu off screen, %zu bytes live in %zu blocks\n", leaky ? "leaky" : "fixed",
                on_screen.size(), off_screen.size(), heap.live_bytes(), heap.live_count());
    for (const site_growth& site : growing) {
        std::printf("  growing site %s: %zu -> %zu bytes over 6 snapshots\n", site.site->where().c_str(), site.first_bytes,
                    site.last_bytes);
    }
    const allocation_site* spawn_site = heap.site_of(on_screen.front());
    const bool spawn_site_grows =
        std::any_of(growing.begin(), growing.end(), [&](const site_growth& site) { return site.site == spawn_site; });
    for (particle* each : on_screen) heap.deallocate(each);
    for (particle* each : off_screen) heap.deallocate(each);
    heap.deallocate(texture);
    heap.validate();
    return {growing.size(), spawn_site_grows};
}

}  // namespace

int main() {
    std::vector<std::byte> memory(std::size_t{8} << 20);
    const verdict leaky = play(true, memory);
    const verdict fixed = play(false, memory);

    claim(leaky.growing_sites == 1 && leaky.spawn_site_grows,
          "the snapshots name exactly one growing site: the line that spawns particles");
    claim(fixed.growing_sites == 0, "with the off-screen particles freed, no site grows");
}
