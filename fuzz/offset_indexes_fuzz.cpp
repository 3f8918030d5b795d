// SPDX-License-Identifier: MIT
// libFuzzer target: one byte stream drives the list and tree allocators under one policy, the
// tlsf and buddy allocators, and the brute-force unit model. List, tree and model must agree on
// every result and free block; tlsf and buddy must make only legal placements and report
// out_of_memory only when no free block can hold the aligned request (for buddy: no free block
// of the request's order). validate() runs after every step. Handles are driven beside addresses:
// list and tree allocate by handle too, and a handle must free exactly while its allocation lives
// (freed by handle or by address, moved by reallocate), never on the other allocator; tlsf and
// buddy free their blocks by handle or by address. Constrained allocation runs on list, tree and
// model (which agree) and on tlsf (whose places must satisfy it, and whose failures must be
// justified); allocate_at and spans added and removed on list, tree and model; deferred frees
// and their completion on all five.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <optional>
#include <vector>

#include "fuzz_support.hpp"
#include "heapkit/offset/allocators.hpp"
#include "unit_model.hpp"

namespace {

using namespace heapkit;
using heapkit::fuzz::byte_reader;
using heapkit::fuzz::fail;

template <class Result>
std::uint64_t code_of(const Result& outcome) {
    return outcome ? *outcome : 1000000 + static_cast<std::uint64_t>(outcome.error());
}

template <class Allocator>
bool some_block_holds(const Allocator& allocator, Size size, Size alignment) {
    for (const free_block block : allocator.free_blocks()) {
        if (aligned_start_in(block, size, alignment)) return true;
    }
    return false;
}

// A handle list and tree handed out for one allocation, and where that allocation is now.
struct handled {
    allocation_handle list;
    allocation_handle tree;
    Offset address;
    bool live;
};

// Takes the block `pick` names (modulo the count) out of `live`, the last moving into its place;
// nothing when `live` is empty.
std::optional<handled_allocation> take_victim(std::vector<handled_allocation>& live, std::uint64_t pick) {
    if (live.empty()) return std::nullopt;
    const std::size_t victim = pick % live.size();
    const handled_allocation gone = live[victim];
    live[victim] = live.back();
    live.pop_back();
    return gone;
}

void forget_handles_at(std::vector<handled>& handles, Offset address) {
    for (handled& entry : handles) {
        if (entry.live && entry.address == address) entry.live = false;
    }
}

void check_same_free_blocks(const test::unit_model& model, const list_allocator& list, const tree_allocator& tree) {
    const std::vector<free_block> expected = model.free_blocks();
    std::size_t at = 0;
    for (const free_block block : list.free_blocks()) {
        if (at >= expected.size() || !(block == expected[at++]))
            fail("list free blocks differ from the model", block.start, block.size);
    }
    if (at != expected.size()) fail("list has fewer free blocks than the model", at, expected.size());
    at = 0;
    for (const free_block block : tree.free_blocks()) {
        if (at >= expected.size() || !(block == expected[at++]))
            fail("tree free blocks differ from the model", block.start, block.size);
    }
    if (at != expected.size()) fail("tree has fewer free blocks than the model", at, expected.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    byte_reader in(data, size);
    const Size capacity = 1 + in.take(2) % 512;
    const Fit fit = all_fits[in.take(1) % all_fits.size()];
    test::unit_model model(capacity, fit);
    list_allocator list(capacity, fit);
    tree_allocator tree(capacity, fit);
    tlsf_allocator tlsf(capacity);
    buddy_allocator buddy(capacity);
    std::vector<handled_allocation> tlsf_live;
    std::vector<handled_allocation> buddy_live;
    std::vector<handled> handles;  // every handle list and tree gave, live or not
    std::uint64_t epoch = 0;       // the last epoch completed
    while (!in.empty()) {
        const unsigned operation = static_cast<unsigned>(in.take(1) % 12);
        const Size units = in.take(2) % (capacity + 2);
        const Offset address = in.take(2) % (capacity + 2);
        const Size alignment = in.take(1) % 16 == 0 ? 3 : Size{1} << (in.take(1) % 9);
        switch (operation) {
            case 0: {
                const auto want = model.try_allocate(units, alignment);
                if (code_of(list.try_allocate(units, alignment)) != code_of(want)) fail("list allocate", units, alignment);
                if (code_of(tree.try_allocate(units, alignment)) != code_of(want)) fail("tree allocate", units, alignment);
                const auto placed = tlsf.try_allocate_handle(units, alignment);
                if (placed) {
                    if ((*placed).address % alignment != 0) fail("tlsf misaligned", (*placed).address, alignment);
                    tlsf_live.push_back(*placed);
                } else if (placed.error() == errc::out_of_memory) {
                    if (some_block_holds(tlsf, units, alignment)) fail("tlsf out_of_memory with room", units, alignment);
                } else if (placed.error() != want.error()) {
                    fail("tlsf allocate error", units, alignment);
                }
                const auto held = buddy.try_allocate_handle(units, alignment);
                const unsigned order = buddy_index::order_for(units, alignment);
                if (held) {
                    if ((*held).address % (Size{1} << order) != 0)
                        fail("buddy block not aligned to its size", (*held).address, order);
                    buddy_live.push_back(*held);
                } else if (held.error() == errc::out_of_memory) {
                    if (order != buddy_index::no_order && buddy.largest_free_block() >= (Size{1} << order)) {
                        fail("buddy out_of_memory with room", units, alignment);
                    }
                } else if (held.error() != want.error()) {
                    fail("buddy allocate error", units, alignment);
                }
                break;
            }
            case 1: {
                const errc want = model.try_free(address, units);
                if (list.try_free(address, units) != want) fail("list free", address, units);
                if (tree.try_free(address, units) != want) fail("tree free", address, units);
                if (want == errc::ok) forget_handles_at(handles, address);
                break;
            }
            case 2: {
                const errc want = model.try_free(address);
                if (list.try_free(address) != want) fail("list free(address)", address, 0);
                if (tree.try_free(address) != want) fail("tree free(address)", address, 0);
                if (want == errc::ok) forget_handles_at(handles, address);
                break;
            }
            case 3: {
                const auto want = model.try_reallocate(address, units, alignment);
                if (code_of(list.try_reallocate(address, units, alignment)) != code_of(want))
                    fail("list reallocate", address, units);
                if (code_of(tree.try_reallocate(address, units, alignment)) != code_of(want))
                    fail("tree reallocate", address, units);
                if (want) {  // the handle follows the allocation
                    for (handled& entry : handles) {
                        if (entry.live && entry.address == address) entry.address = *want;
                    }
                }
                break;
            }
            case 4: {
                if (const auto gone = take_victim(tlsf_live, address)) {
                    if ((units % 2 == 0 ? tlsf.try_free(gone->handle) : tlsf.try_free(gone->address)) != errc::ok)
                        fail("tlsf free of a live block", gone->address, units % 2);
                    if (tlsf.try_free(gone->handle) != errc::invalid_free) fail("tlsf double free by handle", gone->address, 0);
                }
                if (const auto gone = take_victim(buddy_live, address)) {
                    if ((units % 2 == 0 ? buddy.try_free(gone->handle) : buddy.try_free(gone->address)) != errc::ok)
                        fail("buddy free of a live block", gone->address, units % 2);
                }
                break;
            }
            case 5: {
                const auto want = model.try_allocate(units, alignment);
                const auto by_list = list.try_allocate_handle(units, alignment);
                const auto by_tree = tree.try_allocate_handle(units, alignment);
                if (static_cast<bool>(by_list) != static_cast<bool>(want) ||
                    static_cast<bool>(by_tree) != static_cast<bool>(want))
                    fail("allocate_handle succeeds where allocate does not", units, alignment);
                if (!want) {
                    if (by_list.error() != want.error() || by_tree.error() != want.error())
                        fail("allocate_handle error", units, alignment);
                    break;
                }
                if ((*by_list).address != *want || (*by_tree).address != *want) fail("allocate_handle address", *want, units);
                handles.push_back({(*by_list).handle, (*by_tree).handle, *want, true});
                break;
            }
            case 6: {
                if (handles.empty()) break;
                handled& entry = handles[address % handles.size()];
                if (tree.try_free(entry.list) != errc::invalid_free) fail("tree took the list's handle", entry.address, 0);
                const errc want = entry.live ? model.try_free(entry.address) : errc::invalid_free;
                if (entry.live && want != errc::ok) fail("the model refuses a live handle's block", entry.address, 0);
                if (list.try_free(entry.list) != want) fail("list free(handle)", entry.address, entry.live);
                if (tree.try_free(entry.tree) != want) fail("tree free(handle)", entry.address, entry.live);
                entry.live = false;
                break;
            }
            case 7: {
                constraints wanted;
                wanted.alignment = alignment;
                wanted.phase = in.take(1) % 8 == 0 ? alignment : in.take(2) % alignment;
                wanted.nocross = in.take(1) % 2 == 0 ? 0 : Size{1} << (in.take(1) % 11);
                wanted.min_address = in.take(1) % 2 == 0 ? 0 : in.take(2) % (capacity + 2);
                if (in.take(1) % 2 != 0) wanted.max_address = wanted.min_address + in.take(2) % (capacity + 2);
                const auto want = model.try_allocate(units, wanted);
                if (code_of(list.try_allocate(units, wanted)) != code_of(want))
                    fail("list constrained allocate", units, alignment);
                if (code_of(tree.try_allocate(units, wanted)) != code_of(want))
                    fail("tree constrained allocate", units, alignment);
                // tlsf places by its own rule, but only where the constraints hold, and fails only
                // when no free block holds such a place. Its block is freed again at once.
                const auto placed = tlsf.try_allocate(units, wanted);
                if (placed) {
                    const Offset at = *placed;
                    const bool crosses = wanted.nocross != 0 && at / wanted.nocross != (at + units - 1) / wanted.nocross;
                    if (at % wanted.alignment != wanted.phase || crosses || at < wanted.min_address ||
                        at + units > wanted.max_address)
                        fail("tlsf broke a constraint", at, units);
                    tlsf.validate();
                    tlsf.free(at, units);
                } else if (placed.error() == errc::out_of_memory) {
                    for (const free_block block : tlsf.free_blocks()) {
                        if (lowest_placement(block, units, wanted).address)
                            fail("tlsf out_of_memory with a place", units, block.start);
                    }
                } else if (placed.error() != want.error()) {
                    fail("tlsf constrained allocate error", units, alignment);
                }
                break;
            }
            case 8: {
                const auto want = model.try_allocate_at(address, units);
                if (code_of(list.try_allocate_at(address, units)) != code_of(want)) fail("list allocate_at", address, units);
                if (code_of(tree.try_allocate_at(address, units)) != code_of(want)) fail("tree allocate_at", address, units);
                break;
            }
            case 9: {
                const std::uint64_t after = epoch + units % 4;
                const errc want = model.try_free_after(address, units, after);
                if (list.try_free_after(address, units, after) != want) fail("list free_after", address, units);
                if (tree.try_free_after(address, units, after) != want) fail("tree free_after", address, units);
                if (want == errc::ok) forget_handles_at(handles, address);
                const auto defer = [&](auto& allocator, std::vector<handled_allocation>& live, const char* what) {
                    if (const auto gone = take_victim(live, address)) {
                        if (allocator.try_free_after(gone->address, allocator.allocation_of(gone->handle)->size, after) !=
                            errc::ok)
                            fail(what, gone->address, after);
                    }
                };
                defer(tlsf, tlsf_live, "tlsf free_after of a live block");
                defer(buddy, buddy_live, "buddy free_after of a live block");
                break;
            }
            case 10: {
                epoch += units % 3;
                const Size released = model.complete(epoch);
                if (list.complete(epoch) != released || tree.complete(epoch) != released) fail("complete", epoch, released);
                tlsf.complete(epoch);
                buddy.complete(epoch);
                if (list.queued_memory() != model.queued_memory()) fail("queued_memory", epoch, model.queued_memory());
                break;
            }
            case 11: {  // a span added or removed on list, tree and model (inside the model's addresses)
                const Size span = std::min<Size>(units, capacity - std::min<Size>(address, capacity));
                const bool adding = in.take(1) % 2 == 0;
                const errc want = adding ? model.try_add_span(address, span) : model.try_remove_span(address, span);
                const errc by_list = adding ? list.try_add_span(address, span) : list.try_remove_span(address, span);
                const errc by_tree = adding ? tree.try_add_span(address, span) : tree.try_remove_span(address, span);
                if (by_list != want || by_tree != want) fail(adding ? "add_span" : "remove_span", address, span);
                if (list.spans() != model.spans() || tree.spans() != model.spans()) fail("spans", address, span);
                break;
            }
        }
        list.validate();
        tree.validate();
        tlsf.validate();
        buddy.validate();
        check_same_free_blocks(model, list, tree);
    }
    return 0;
}
