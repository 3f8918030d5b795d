// SPDX-License-Identifier: MIT
// A GPU upload heap with per-frame fences: each frame the CPU writes vertex data, textures and
// 256-byte-aligned constant buffers into one 64 MiB upload buffer and frees them as soon as the
// frame is submitted, but the GPU reads them until that frame's fence signals, two frames later.
// free_after(address, size, frame) keeps the bytes from being reused until complete(frame), so
// the CPU never overwrites what the GPU is still reading; the program checks that against a
// record of every range in flight.
#include <cstdio>
#include <random>
#include <vector>

#include "claim.hpp"
#include "heapkit/heapkit.hpp"

using namespace heapkit;

namespace {

constexpr Size heap_bytes = Size{64} << 20;
constexpr std::uint64_t frames_in_flight = 2;
constexpr std::uint64_t frame_count = 600;

struct upload {
    Offset address;
    Size bytes;
    std::uint64_t frame;  // the frame whose fence releases it
};

bool overlaps(const upload& a, Offset address, Size bytes) {
    return a.address < address + bytes && address < a.address + a.bytes;
}

}  // namespace

int main() {
    tree_allocator heap(heap_bytes);
    std::mt19937_64 random(2026);
    std::vector<upload> in_flight;  // freed by the CPU, still read by the GPU
    bool never_overwritten = true;
    bool queued_adds_up = true;
    bool aligned = true;
    std::size_t stalls = 0;
    Size peak_queued = 0;
    for (std::uint64_t frame = 1; frame <= frame_count; ++frame) {
        // The fence of frame - frames_in_flight has signalled: those uploads may be reused.
        if (frame > frames_in_flight) {
            heap.complete(frame - frames_in_flight);
            std::erase_if(in_flight, [&](const upload& done) { return done.frame <= frame - frames_in_flight; });
        }
        std::vector<upload> this_frame;
        const int uploads = 20 + static_cast<int>(random() % 40);
        for (int i = 0; i < uploads; ++i) {
            const bool constants = random() % 2 == 0;
            const Size bytes = constants ? 256 * (1 + random() % 16) : 4096 + random() % (1 << 18);
            const result<Offset> placed = constants ? heap.try_allocate(bytes, 256) : heap.try_allocate(bytes);
            if (!placed) {
                ++stalls;  // a real renderer would wait on the oldest fence here
                continue;
            }
            aligned = aligned && (!constants || *placed % 256 == 0);
            for (const upload& busy : in_flight) never_overwritten = never_overwritten && !overlaps(busy, *placed, bytes);
            this_frame.push_back({*placed, bytes, frame});
        }
        // Submitted: the CPU is done with every upload of the frame, the GPU is not.
        for (const upload& done : this_frame) {
            heap.free_after(done.address, done.bytes, frame);
            in_flight.push_back(done);
        }
        Size queued = 0;
        for (const upload& busy : in_flight) queued += busy.bytes;
        queued_adds_up = queued_adds_up && queued == heap.queued_memory();
        peak_queued = std::max(peak_queued, queued);
        heap.validate();
    }
    std::printf("%llu frames, %zu stalls, at most %.1f MiB in flight\n", static_cast<unsigned long long>(frame_count), stalls,
                static_cast<double>(peak_queued) / (1 << 20));
    claim(never_overwritten, "no upload was placed over bytes the GPU was still reading");
    claim(queued_adds_up, "queued_memory() is the bytes of the frames whose fence has not signalled");
    claim(aligned, "every constant buffer is 256-byte aligned");
    heap.complete(frame_count);
    claim(heap.queued_memory() == 0 && heap.free_block_count() == 1 && heap.free_memory() == heap_bytes,
          "once the last fence signals, the heap is one free block again");
    return 0;
}
