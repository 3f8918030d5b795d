// SPDX-License-Identifier: MIT
// An IOMMU's I/O virtual address allocator, as Linux's IOVA allocator and vmem_xalloc serve
// drivers: 32-bit devices need their buffers below 4 GiB, descriptor rings must not cross a
// 64 KiB boundary, and a packet buffer starts 2 bytes past a 64-byte line so that the IP header
// behind a 14-byte Ethernet header is 16-aligned. One range of 2^40 bytes of device addresses
// serves them all through constrained placement; explain() tells a driver in advance where a
// request would go, or why it cannot.
#include <cstdio>
#include <string>
#include <vector>

#include "claim.hpp"
#include "heapkit/heapkit.hpp"

using namespace heapkit;

namespace {

constexpr Size iova_bytes = Size{1} << 40;
constexpr Offset four_gib = Size{1} << 32;
constexpr Size page = 4096;
constexpr Size ring_boundary = 64 * 1024;

struct mapping {
    Offset address;
    Size bytes;
};

}  // namespace

int main() {
    tree_allocator iova(iova_bytes);
    iova.allocate_at(0, page);  // page 0 stays unmapped, so that a null device address faults

    // A 32-bit sound card and a 32-bit USB controller take 1 MiB buffers until the window is full.
    const constraints below_4gib{.alignment = page, .max_address = four_gib};
    std::vector<mapping> dma32;
    while (const result<Offset> buffer = iova.try_allocate(Size{1} << 20, below_4gib)) dma32.push_back({*buffer, Size{1} << 20});
    bool all_below = true;
    for (const mapping& buffer : dma32) all_below = all_below && buffer.address + buffer.bytes <= four_gib;
    std::printf("32-bit devices: %zu buffers of 1 MiB below 4 GiB\n", dma32.size());
    claim(all_below && dma32.size() == 4095,
          "every 32-bit buffer lies below 4 GiB, and the window filled (4095 MiB after page 0)");

    // The window is full: the next 32-bit request fails, and the message says which constraint refused.
    std::string refusal;
    try {
        iova.allocate(Size{1} << 20, below_4gib);
    } catch (const out_of_memory& failure) {
        refusal = failure.what();
    }
    std::printf("the next 32-bit buffer: %s\n", refusal.c_str());
    claim(refusal.find("outside the window") != std::string::npos,
          "a refused request is explained by the window that refused it");

    // A 64-bit NIC still gets memory (the last MiB below 4 GiB first, then above): descriptor
    // rings of 12 KiB that never cross a 64 KiB boundary, and packet buffers at phase 2 of 64.
    const constraints ring{.alignment = page, .nocross = ring_boundary};
    const constraints packet{.alignment = 64, .phase = 2};
    std::vector<mapping> rings;
    std::vector<mapping> packets;
    bool predicted_right = true;
    for (int queue = 0; queue < 64; ++queue) {
        const explanation predicted = iova.explain(12 * 1024, ring);
        const Offset placed = iova.allocate(12 * 1024, ring);
        predicted_right = predicted_right && predicted.kind == errc::ok && predicted.address == placed;
        rings.push_back({placed, 12 * 1024});
        packets.push_back({iova.allocate(1514, packet), 1514});
    }
    claim(predicted_right, "explain() named every address allocate() then chose");
    bool rings_whole = true;
    for (const mapping& r : rings)
        rings_whole = rings_whole && r.address / ring_boundary == (r.address + r.bytes - 1) / ring_boundary;
    bool packets_in_phase = true;
    for (const mapping& p : packets) packets_in_phase = packets_in_phase && p.address % 64 == 2;
    claim(rings_whole, "no descriptor ring crosses a 64 KiB boundary");
    claim(packets_in_phase, "every packet buffer starts 2 bytes past a 64-byte line");

    // Unmapping the sound card's buffers makes room below 4 GiB again; the window is found at once.
    for (std::size_t i = 0; i < dma32.size(); i += 2) iova.free(dma32[i].address, dma32[i].bytes);
    const explanation again = iova.explain(Size{1} << 20, below_4gib);
    claim(again.kind == errc::ok && *again.address == dma32[0].address, "a freed 32-bit buffer is the next one handed out");

    for (std::size_t i = 1; i < dma32.size(); i += 2) iova.free(dma32[i].address, dma32[i].bytes);
    for (const mapping& r : rings) iova.free(r.address, r.bytes);
    for (const mapping& p : packets) iova.free(p.address, p.bytes);
    iova.free(0, page);
    iova.validate();
    claim(iova.free_block_count() == 1 && iova.free_memory() == iova_bytes,
          "unmapped, the address space is one free range again");
    return 0;
}
