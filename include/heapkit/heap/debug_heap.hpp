// SPDX-License-Identifier: MIT
// debug_heap<Inner>: a malloc debugger over any heap. Every block gets a record kept out of band
// (so no overflow can damage it), keyed canaries on both sides, fill patterns on allocate and
// free, and a bounded quarantine that holds freed blocks back; misuse (double free, foreign or
// interior pointer, overflow, underflow, write after free, a free by the wrong family or with the
// wrong size) goes to a handler as a debug_report
// naming address, size, allocation site and, once freed, free site. Leaks and live-set snapshots
// come from the table of blocks. Costs: a stack capture per allocation and per free
// (O(backtrace_depth)), O(size) fills, O(1) expected table work; not thread-safe (wrap it in
// locked_heap).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <deque>
#include <map>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "heapkit/heap/debug_report.hpp"
#include "heapkit/heap/detail/os.hpp"
#include "heapkit/heap/detail/site_table.hpp"
#include "heapkit/heap/heap_concept.hpp"
#include "heapkit/offset/detail/offset_map.hpp"
#include "heapkit/offset/error.hpp"
#include "heapkit/offset/units.hpp"

namespace heapkit {

// The bytes the debug heap writes, named so a dump is easy to read.
enum class debug_fill : unsigned char {
    allocated = 0xA5,  // a fresh block: reads of memory never written show up as 0xA5A5...
    freed = 0xDD,      // a quarantined block: any other byte there is a write after free
};

struct debug_options {
    std::size_t quarantine_bytes = std::size_t{1} << 20;        // freed bytes held back before reuse
    std::size_t quarantine_blocks = 1024;                       // freed blocks held back before reuse
    std::size_t backtrace_depth = 8;                            // frames per site; 0: source location only
    os::stack_walk stack_walk = os::stack_walk::unwind_tables;  // frame_pointers: ~50x cheaper, needs them
    bool free_stacks = true;                                    // a site for every free too (a stack capture each)
    debug_handler handler = abort_with_report;                  // what happens on a finding
    std::uint64_t secret = 0;                                   // keys canaries and seals; 0: random
};

namespace detail {

// Per block, out of band (in a table of the debug heap's own, never next to user memory):
//   [inner block start ... padding][front canary 16 B][user bytes][back canary 16 B]
// so no overflow or underflow of user memory, however long, can damage what the heap relies on.
struct debug_record {
    std::uint64_t size;        // bytes the caller asked for
    std::uint64_t sequence;    // allocation order, for leak reports
    std::uint32_t site;        // allocation site, an id in the site table
    std::uint32_t freed_site;  // free site once quarantined; no_site while live or when free stacks are off
    std::uint32_t prefix;      // bytes from the inner block to the user pointer
    bool quarantined;
    allocation_kind kind;  // the family that allocated it, which must free it
    static constexpr std::uint32_t no_site = UINT32_MAX;
};
inline constexpr std::size_t canary_bytes = 16;

// splitmix64's finalizer: every input bit reaches every output bit.
constexpr std::uint64_t scramble(std::uint64_t x) noexcept {
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

}  // namespace detail

template <heap Inner>
class debug_heap {
    using record = detail::debug_record;

public:
    static constexpr std::size_t fill_check_edge_bytes = 64;  // may be tuned: see check_fill

    // Builds the inner heap in place from `inner_arguments`.
    template <class... InnerArguments>
    explicit debug_heap(debug_options options, InnerArguments&&... inner_arguments)
        : inner_(std::forward<InnerArguments>(inner_arguments)...),
          options_(std::move(options)),
          secret_(options_.secret != 0 ? options_.secret : os::random_secret()),
          sites_(options_.backtrace_depth, options_.stack_walk) {}
    debug_heap(const debug_heap&) = delete;
    debug_heap& operator=(const debug_heap&) = delete;
    ~debug_heap() {
        while (!quarantine_.empty()) release_oldest();
    }

    // A block of `size` bytes aligned to `alignment`, filled with debug_fill::allocated and
    // recorded as allocated at `where` (and the captured stack). Throws invalid_alignment, or
    // out_of_memory as the inner heap does (also when the size plus the debug bytes overflows).
    void* allocate(std::size_t size, std::size_t alignment = default_alignment_bytes, call_site where = call_site::current()) {
        return allocate(size, alignment, allocation_kind::malloc, where);
    }
    // The same, for a block of the family `kind` (deallocate checks that the same family frees it).
    void* allocate(std::size_t size, std::size_t alignment, allocation_kind kind, call_site where = call_site::current()) {
        if (!is_power_of_two(alignment))
            throw_error(errc::invalid_alignment,
                        "heapkit::debug_heap: alignment " + std::to_string(alignment) + " is not a power of two");
        alignment = std::max(alignment, default_alignment_bytes);
        const std::size_t prefix = (detail::canary_bytes + alignment - 1) & ~(alignment - 1);
        if (size > ~std::size_t{0} - prefix - detail::canary_bytes || prefix > UINT32_MAX)
            throw_error(errc::out_of_memory, "heapkit::debug_heap: " + std::to_string(size) + " bytes is larger than any block");
        auto* block = static_cast<std::byte*>(inner_.allocate(prefix + size + detail::canary_bytes, alignment));
        std::byte* user = block + prefix;
        blocks_.prefetch(key_of(user));  // the stack capture in intern hides the table's cache miss
        try {
            const std::uint32_t site = sites_.intern(where);
            blocks_.insert(key_of(user),
                           record{size, next_sequence_, site, record::no_site, static_cast<std::uint32_t>(prefix), false, kind});
        } catch (...) {  // no room for the site or the record: the block goes back
            inner_.deallocate(block);
            throw;
        }
        ++next_sequence_;
        canary(user, true, user - detail::canary_bytes);
        canary(user, false, user + size);
        std::memset(user, static_cast<int>(debug_fill::allocated), size);
        live_bytes_ += size;
        ++live_count_;
        return user;
    }
    void* try_allocate(std::size_t size, std::size_t alignment = default_alignment_bytes,
                       call_site where = call_site::current()) noexcept {
        try {
            return allocate(size, alignment, where);
        } catch (...) {
            return nullptr;
        }
    }

    // Takes the block back into quarantine after checking it: reports double_free,
    // interior_pointer, foreign_pointer (and then leaves the heap alone), underflow and overflow
    // (and then still frees the block). Blocks leaving quarantine are checked for writes after
    // free. With free stacks on, `where` and the stack become the block's free site. nullptr:
    // nothing.
    void deallocate(void* pointer, call_site where = call_site::current()) {
        deallocate(pointer, allocation_kind::malloc, 0, where);
    }
    // The same for a call of the family `kind`, which also reports mismatched_free (another
    // family allocated the block) and, when `stated_size` is not 0 (a sized delete), wrong_size;
    // the block is freed after either.
    void deallocate(void* pointer, allocation_kind kind, std::size_t stated_size, call_site where = call_site::current()) {
        if (pointer == nullptr) return;
        const auto* user = static_cast<const std::byte*>(pointer);
        // The stack capture in intern hides the cache misses of the two records this call reads:
        // the block's own, and the oldest quarantined block's, which leaves quarantine below.
        blocks_.prefetch(key_of(user));
        if (!quarantine_.empty()) {
            blocks_.prefetch(key_of(quarantine_.front()));
            __builtin_prefetch(quarantine_.front());  // its fill is checked as it leaves
        }
        const std::uint32_t freed_site = options_.free_stacks ? sites_.intern(where) : record::no_site;
        auto* found = blocks_.find(key_of(user));
        if (found == nullptr) return report_stray(pointer);
        record& block = found->value;  // valid until the table next changes, below
        if (block.quarantined) return report(debug_issue::double_free, user, block);
        if (block.kind != kind) {
            debug_report mismatch = report_of(debug_issue::mismatched_free, user, block);
            mismatch.freed_by = kind;
            options_.handler(mismatch);
        }
        if (stated_size != 0 && stated_size != block.size) {
            debug_report wrong = report_of(debug_issue::wrong_size, user, block);
            wrong.stated_size = stated_size;
            options_.handler(wrong);
        }
        check_canaries(user, block);
        quarantine_.push_back(user);  // before any change, since these may throw: the block then stays live
        block.quarantined = true;
        block.freed_site = freed_site;
        live_bytes_ -= block.size;
        --live_count_;
        std::memset(pointer, static_cast<int>(debug_fill::freed), block.size);
        quarantine_bytes_ += block.size;
        while (!quarantine_.empty() &&
               (quarantine_bytes_ > options_.quarantine_bytes || quarantine_.size() > options_.quarantine_blocks))
            release_oldest();
    }

    // Always moves (so a stale pointer to the old block is caught), copying the contents.
    void* reallocate(void* pointer, std::size_t size, std::size_t alignment = default_alignment_bytes,
                     call_site where = call_site::current()) {
        if (pointer == nullptr) return allocate(size, alignment, where);
        const record* block = live_record(pointer);
        if (block == nullptr) {
            deallocate(pointer, where);  // reports
            return nullptr;
        }
        const std::size_t old_size = block->size;
        void* moved = allocate(size, alignment, where);  // may rehash: `block` is not used again
        std::memcpy(moved, pointer, std::min<std::size_t>(size, old_size));
        deallocate(pointer, where);
        return moved;
    }

    // The size asked for (not the inner heap's rounding: bytes past it are the canary's).
    std::size_t usable_size(const void* pointer) const {
        const record* block = live_record(pointer);
        return block != nullptr ? block->size : 0;
    }
    bool owns(const void* pointer) const { return inner_.owns(pointer); }
    // The inner heap's totals, except that allocation_count counts the caller's live blocks:
    // quarantined blocks and the debug bytes count as in-use bytes.
    heap_stats stats() const {
        heap_stats totals = inner_.stats();
        totals.allocation_count = live_count_;
        return totals;
    }
    std::size_t live_count() const noexcept { return live_count_; }
    std::size_t live_bytes() const noexcept { return live_bytes_; }
    std::size_t quarantine_count() const noexcept { return quarantine_.size(); }
    std::size_t quarantine_bytes() const noexcept { return quarantine_bytes_; }

    // Checks the inner heap and the table (DH1 the quarantine queue names exactly the
    // quarantined records, each once; DH2 the counts and bytes match the table; std::logic_error
    // when broken), and reports damaged canaries of live blocks and changed fills of quarantined
    // ones. O(blocks + their bytes).
    void validate() const {
        inner_.validate();
        std::size_t live = 0, live_bytes = 0, quarantined = 0, quarantined_bytes = 0;
        each_block([&](const std::byte* user, const record& block) {
            if (block.quarantined) {
                check_fill(user, block, true);
                ++quarantined;
                quarantined_bytes += block.size;
            } else {
                check_canaries(user, block);
                ++live;
                live_bytes += block.size;
            }
        });
        if (live != live_count_ || live_bytes != live_bytes_ || quarantined_bytes != quarantine_bytes_)
            throw std::logic_error("heapkit::debug_heap invariant DH2 broken: the totals do not match the table");
        std::vector<const std::byte*> queued(quarantine_.begin(), quarantine_.end());
        std::sort(queued.begin(), queued.end());
        const bool each_once = std::adjacent_find(queued.begin(), queued.end()) == queued.end();
        const bool all_quarantined = std::all_of(queued.begin(), queued.end(), [this](const std::byte* user) {
            const auto* found = blocks_.find(key_of(user));
            return found != nullptr && found->value.quarantined;
        });
        if (!each_once || !all_quarantined || queued.size() != quarantined)
            throw std::logic_error("heapkit::debug_heap invariant DH1 broken: the quarantine queue and the table differ");
    }

    // The live blocks grouped by allocation site, most bytes first. O(blocks log blocks).
    std::vector<leak_record> leaks() const {
        std::vector<std::pair<std::uint64_t, const std::byte*>> live;  // by allocation order
        each_block([&live](const std::byte* user, const record& block) {
            if (!block.quarantined) live.emplace_back(block.sequence, user);
        });
        std::sort(live.begin(), live.end());
        std::map<std::uint32_t, leak_record> by_site;
        for (const auto& [sequence, user] : live) {
            const record& block = record_of(user);
            leak_record& leaked = by_site.try_emplace(block.site, leak_record{&sites_.site(block.site), 0, {}}).first->second;
            leaked.bytes += block.size;
            leaked.blocks.push_back(user);
        }
        std::vector<leak_record> records;
        for (auto& [site, leaked] : by_site) records.push_back(std::move(leaked));
        std::stable_sort(records.begin(), records.end(),
                         [](const leak_record& a, const leak_record& b) { return a.bytes > b.bytes; });
        return records;
    }
    // Calls visit(pointer, size, site) for each live block. O(blocks).
    template <class Visitor>
    void for_each_live(Visitor visit) const {
        each_block([&](const std::byte* user, const record& block) {
            if (!block.quarantined)
                visit(static_cast<const void*>(user), static_cast<std::size_t>(block.size), &sites_.site(block.site));
        });
    }
    // Hands one debug_issue::leak report per site to the handler; returns how many sites leaked.
    std::size_t report_leaks() const {
        const std::vector<leak_record> records = leaks();
        for (const leak_record& leaked : records)
            options_.handler({debug_issue::leak, leaked.blocks.front(), leaked.bytes, leaked.site, leaked.blocks.size()});
        return records.size();
    }
    // Live blocks and bytes per site now; compare a series with growing_sites(). O(blocks log sites).
    live_snapshot snapshot() const {
        live_snapshot totals;
        each_block([&](const std::byte*, const record& block) {
            if (block.quarantined) return;
            site_total& total = totals[&sites_.site(block.site)];
            ++total.count;
            total.bytes += block.size;
        });
        return totals;
    }
    // Where the live block at `pointer` was allocated; null for anything else.
    const allocation_site* site_of(const void* pointer) const {
        const record* block = live_record(pointer);
        return block != nullptr ? &sites_.site(block->site) : nullptr;
    }

    Inner& inner() noexcept { return inner_; }

private:
    static Offset key_of(const void* pointer) noexcept { return reinterpret_cast<std::uintptr_t>(pointer); }
    // The record of a block known to be in the table.
    record& record_of(const std::byte* user) noexcept { return blocks_.find(key_of(user))->value; }
    const record& record_of(const std::byte* user) const noexcept { return blocks_.find(key_of(user))->value; }
    const record* live_record(const void* pointer) const {
        const auto* found = blocks_.find(key_of(pointer));
        return found != nullptr && !found->value.quarantined ? &found->value : nullptr;
    }
    template <class Visitor>
    void each_block(Visitor visit) const {
        blocks_.for_each([&visit](Offset key, const record& block) { visit(reinterpret_cast<const std::byte*>(key), block); });
    }

    // The 16 canary bytes on one side of a block, derived from the secret and the block. Each has
    // its top bit set, so none is zero or ASCII: the commonest one-byte overflows write a string's
    // terminating NUL or a character, and a random canary byte equal to it let 1 in 256 through
    // (a planted 'x' one past a block went unseen so once in 300 runs).
    void canary(const std::byte* user, bool front, std::byte* out) const noexcept {
        const std::uint64_t key = detail::scramble(secret_ ^ reinterpret_cast<std::uintptr_t>(user) ^ (front ? 0 : 0xB5));
        const std::uint64_t words[2] = {key, detail::scramble(key)};
        std::memcpy(out, words, sizeof words);
        for (std::size_t i = 0; i < detail::canary_bytes; ++i) out[i] |= std::byte{0x80};
    }
    bool canary_intact(const std::byte* user, const record& block, bool front) const noexcept {
        std::byte expected[detail::canary_bytes];
        canary(user, front, expected);
        const std::byte* at = front ? user - detail::canary_bytes : user + block.size;
        return std::memcmp(at, expected, sizeof expected) == 0;
    }

    // A pointer that is no block's start: into a live block, or not ours at all. O(blocks), on
    // the way to a report only.
    void report_stray(const void* pointer) const {
        const auto* byte = static_cast<const std::byte*>(pointer);
        const std::byte* container = nullptr;
        each_block([&](const std::byte* user, const record& block) {
            if (!block.quarantined && byte >= user - detail::canary_bytes && byte < user + block.size + detail::canary_bytes)
                container = user;
        });
        if (container != nullptr) return report(debug_issue::interior_pointer, container, record_of(container));
        options_.handler({debug_issue::foreign_pointer, pointer, 0, nullptr});
    }
    debug_report report_of(debug_issue issue, const std::byte* user, const record& block) const {
        const allocation_site* freed = block.freed_site != record::no_site ? &sites_.site(block.freed_site) : nullptr;
        debug_report report{issue, user, block.size, &sites_.site(block.site), 1, freed};
        report.allocated_by = block.kind;
        return report;
    }
    void report(debug_issue issue, const std::byte* user, const record& block) const {
        options_.handler(report_of(issue, user, block));
    }
    // A damaged front canary behind a live block whose back canary is damaged too is that
    // block's overflow running on, and is reported so.
    void check_canaries(const std::byte* user, const record& block) const {
        if (!canary_intact(user, block, true)) {
            const std::byte* below = live_block_below(user);
            if (below != nullptr && !canary_intact(below, record_of(below), false))
                report(debug_issue::overflow, below, record_of(below));
            else
                report(debug_issue::underflow, user, block);
        }
        if (!canary_intact(user, block, false)) report(debug_issue::overflow, user, block);
    }
    // The live block that ends nearest below `user`'s front canary. O(blocks), on the way to a
    // report only.
    const std::byte* live_block_below(const std::byte* user) const {
        const std::byte* nearest = nullptr;
        each_block([&](const std::byte* other, const record& block) {
            if (!block.quarantined && other < user && (nearest == nullptr || other > nearest)) nearest = other;
        });
        return nearest;
    }
    // Whether the freed fill of bytes [from, to) of the block is intact, a word at a time.
    static bool fill_intact(const std::byte* user, std::size_t from, std::size_t to) noexcept {
        constexpr std::uint64_t fill_word = 0x0101010101010101ull * static_cast<unsigned char>(debug_fill::freed);
        for (; from + sizeof(std::uint64_t) <= to; from += sizeof(std::uint64_t)) {
            std::uint64_t word;
            std::memcpy(&word, user + from, sizeof word);
            if (word != fill_word) return false;
        }
        for (; from < to; ++from)
            if (user[from] != std::byte{static_cast<unsigned char>(debug_fill::freed)}) return false;
        return true;
    }
    // validate() checks every byte of a quarantined block; a block leaving quarantine (its memory
    // long out of cache) has its first and last fill_check_edge_bytes checked, where stale
    // pointers to a struct's fields mostly write.
    void check_fill(const std::byte* user, const record& block, bool every_byte) const {
        const std::size_t size = block.size;
        const bool intact =
            every_byte || size <= 2 * fill_check_edge_bytes
                ? fill_intact(user, 0, size)
                : fill_intact(user, 0, fill_check_edge_bytes) && fill_intact(user, size - fill_check_edge_bytes, size);
        if (!intact) report(debug_issue::write_after_free, user, block);
    }

    void release_oldest() {
        const std::byte* user = quarantine_.front();
        const record block = record_of(user);
        check_fill(user, block, false);
        quarantine_.pop_front();
        blocks_.erase(blocks_.find(key_of(user)));
        quarantine_bytes_ -= block.size;
        inner_.deallocate(const_cast<std::byte*>(user) - block.prefix);
    }

    Inner inner_;
    debug_options options_;
    std::uint64_t secret_;  // keys the canaries
    detail::site_table sites_;
    detail::offset_map<record> blocks_;        // live and quarantined blocks, by user pointer
    std::deque<const std::byte*> quarantine_;  // DH1: the quarantined blocks, oldest first
    std::uint64_t next_sequence_ = 0;
    std::size_t live_count_ = 0;  // DH2: live blocks in blocks_
    std::size_t live_bytes_ = 0;  // DH2: their sizes
    std::size_t quarantine_bytes_ = 0;
};

}  // namespace heapkit
