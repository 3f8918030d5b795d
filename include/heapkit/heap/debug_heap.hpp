// SPDX-License-Identifier: MIT
// debug_heap<Inner>: a malloc debugger over any heap. Every block gets a sealed header and keyed
// canaries on both sides, fill patterns on allocate and free, and a bounded quarantine that holds
// freed blocks back; misuse (double free, foreign or interior pointer, overflow, underflow, write
// after free) goes to a handler as a debug_report naming address, size and allocation site.
// Leaks and live-set snapshots come from the list of live blocks. Costs: a stack capture per
// allocation (O(backtrace_depth)), O(size) fills, O(1) list work; not thread-safe (wrap it in
// locked_heap).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <map>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "heapkit/heap/debug_report.hpp"
#include "heapkit/heap/detail/os.hpp"
#include "heapkit/heap/detail/site_table.hpp"
#include "heapkit/heap/heap_concept.hpp"
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
    debug_handler handler = abort_with_report;                  // what happens on a finding
    std::uint64_t secret = 0;                                   // keys canaries and seals; 0: random
};

namespace detail {

// Per block, right before the front canary:
//   [inner block start ... padding][debug_header 48 B][front canary 16 B][user bytes][back canary 16 B]
struct debug_header {
    debug_header* previous;  // in the live list or the quarantine (circular, through a sentinel)
    debug_header* next;
    std::uint64_t size;    // bytes the caller asked for
    std::uint32_t site;    // id in the site table
    std::uint32_t state;   // debug_header::live or ::quarantined
    std::uint32_t prefix;  // bytes from the inner block to the user pointer
    std::uint32_t unused;
    std::uint64_t seal;                                       // keyed hash of the fields above and the header's address
    static constexpr std::uint32_t live = 0x4C495645;         // "LIVE"
    static constexpr std::uint32_t quarantined = 0x51554152;  // "QUAR"
};
static_assert(sizeof(debug_header) == 48);
inline constexpr std::size_t canary_bytes = 16;
inline constexpr std::size_t header_and_canary_bytes = sizeof(debug_header) + canary_bytes;

// splitmix64's finalizer: every input bit reaches every output bit.
constexpr std::uint64_t scramble(std::uint64_t x) noexcept {
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

}  // namespace detail

template <heap Inner>
class debug_heap {
    using header = detail::debug_header;

public:
    static constexpr std::size_t fill_check_edge_bytes = 64;  // may be tuned: see check_fill

    // Builds the inner heap in place from `inner_arguments`.
    template <class... InnerArguments>
    explicit debug_heap(debug_options options, InnerArguments&&... inner_arguments)
        : inner_(std::forward<InnerArguments>(inner_arguments)...),
          options_(std::move(options)),
          secret_(options_.secret != 0 ? options_.secret : os::random_secret()),
          sites_(options_.backtrace_depth, options_.stack_walk) {
        live_.previous = live_.next = &live_;
        quarantine_.previous = quarantine_.next = &quarantine_;
    }
    debug_heap(const debug_heap&) = delete;
    debug_heap& operator=(const debug_heap&) = delete;
    ~debug_heap() {
        while (quarantine_.next != &quarantine_) release_oldest();
    }

    // A block of `size` bytes aligned to `alignment`, filled with debug_fill::allocated and
    // recorded as allocated at `where` (and the captured stack). Throws invalid_alignment, or
    // out_of_memory as the inner heap does (also when the size plus the debug bytes overflows).
    void* allocate(std::size_t size, std::size_t alignment = default_alignment_bytes, call_site where = call_site::current()) {
        if (!is_power_of_two(alignment))
            throw_error(errc::invalid_alignment,
                        "heapkit::debug_heap: alignment " + std::to_string(alignment) + " is not a power of two");
        alignment = std::max(alignment, default_alignment_bytes);
        const std::size_t prefix = (detail::header_and_canary_bytes + alignment - 1) & ~(alignment - 1);
        if (size > ~std::size_t{0} - prefix - detail::canary_bytes || prefix > UINT32_MAX)
            throw_error(errc::out_of_memory, "heapkit::debug_heap: " + std::to_string(size) + " bytes is larger than any block");
        const std::uint32_t site = sites_.intern(where);
        auto* block = static_cast<std::byte*>(inner_.allocate(prefix + size + detail::canary_bytes, alignment));
        return open_block(block, prefix, size, site);
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
    // free. nullptr: nothing.
    void deallocate(void* pointer) {
        if (pointer == nullptr) return;
        header* block = sealed_header(pointer);
        if (block == nullptr) return report_stray(pointer);
        if (block->state == header::quarantined) return report(debug_issue::double_free, block);
        check_canaries(block);
        unlink(block);
        live_bytes_ -= block->size;
        --live_count_;
        block->state = header::quarantined;
        reseal(block);
        std::memset(user_of(block), static_cast<int>(debug_fill::freed), block->size);
        link_before(&quarantine_, block);
        quarantine_bytes_ += block->size;
        ++quarantine_count_;
        while (quarantine_count_ > 0 &&
               (quarantine_bytes_ > options_.quarantine_bytes || quarantine_count_ > options_.quarantine_blocks))
            release_oldest();
    }

    // Always moves (so a stale pointer to the old block is caught), copying the contents.
    void* reallocate(void* pointer, std::size_t size, std::size_t alignment = default_alignment_bytes,
                     call_site where = call_site::current()) {
        if (pointer == nullptr) return allocate(size, alignment, where);
        header* block = sealed_header(pointer);
        if (block == nullptr || block->state != header::live) {
            deallocate(pointer);  // reports
            return nullptr;
        }
        void* moved = allocate(size, alignment, where);
        std::memcpy(moved, pointer, std::min<std::size_t>(size, block->size));
        deallocate(pointer);
        return moved;
    }

    // The size asked for (not the inner heap's rounding: bytes past it are the canary's).
    std::size_t usable_size(const void* pointer) const {
        const header* block = sealed_header(pointer);
        return block != nullptr && block->state == header::live ? block->size : 0;
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
    std::size_t quarantine_count() const noexcept { return quarantine_count_; }
    std::size_t quarantine_bytes() const noexcept { return quarantine_bytes_; }

    // Checks the inner heap and the lists (DH1 every listed header is sealed and in the list's
    // state, DH2 the counts and bytes match the lists; std::logic_error when broken), and
    // reports damaged canaries of live blocks and changed fills of quarantined ones. O(blocks +
    // their bytes).
    void validate() const {
        inner_.validate();
        std::size_t count = 0, bytes = 0;
        for (const header* block = live_.next; block != &live_; block = block->next) {
            check_listed(block, header::live);
            check_canaries(block);
            ++count;
            bytes += block->size;
        }
        if (count != live_count_ || bytes != live_bytes_)
            throw std::logic_error("heapkit::debug_heap invariant DH2 broken: live totals");
        count = bytes = 0;
        for (const header* block = quarantine_.next; block != &quarantine_; block = block->next) {
            check_listed(block, header::quarantined);
            check_fill(block, true);
            ++count;
            bytes += block->size;
        }
        if (count != quarantine_count_ || bytes != quarantine_bytes_)
            throw std::logic_error("heapkit::debug_heap invariant DH2 broken: quarantine totals");
    }

    // The live blocks grouped by allocation site, most bytes first. O(blocks log sites).
    std::vector<leak_record> leaks() const {
        std::map<std::uint32_t, leak_record> by_site;
        for (const header* block = live_.next; block != &live_; block = block->next) {
            leak_record& record = by_site.try_emplace(block->site, leak_record{&sites_.site(block->site), 0, {}}).first->second;
            record.bytes += block->size;
            record.blocks.push_back(user_of(block));
        }
        std::vector<leak_record> records;
        for (auto& [site, record] : by_site) {
            std::reverse(record.blocks.begin(), record.blocks.end());  // the list is newest first
            records.push_back(std::move(record));
        }
        std::stable_sort(records.begin(), records.end(),
                         [](const leak_record& a, const leak_record& b) { return a.bytes > b.bytes; });
        return records;
    }
    // Hands one debug_issue::leak report per site to the handler; returns how many sites leaked.
    std::size_t report_leaks() const {
        const std::vector<leak_record> records = leaks();
        for (const leak_record& record : records)
            options_.handler({debug_issue::leak, record.blocks.front(), record.bytes, record.site, record.blocks.size()});
        return records.size();
    }
    // Live blocks and bytes per site now; compare a series with growing_sites(). O(blocks log sites).
    live_snapshot snapshot() const {
        live_snapshot totals;
        for (const header* block = live_.next; block != &live_; block = block->next) {
            site_total& total = totals[&sites_.site(block->site)];
            ++total.count;
            total.bytes += block->size;
        }
        return totals;
    }
    // Where the live block at `pointer` was allocated; null for anything else.
    const allocation_site* site_of(const void* pointer) const {
        const header* block = sealed_header(pointer);
        return block != nullptr ? &sites_.site(block->site) : nullptr;
    }

    Inner& inner() noexcept { return inner_; }

private:
    static std::byte* user_of(const header* block) noexcept {
        return const_cast<std::byte*>(reinterpret_cast<const std::byte*>(block)) + detail::header_and_canary_bytes;
    }
    std::uint64_t seal_of(const header* block) const noexcept {
        std::uint64_t seal = detail::scramble(secret_ ^ reinterpret_cast<std::uintptr_t>(block));
        seal = detail::scramble(seal ^ block->size);
        return detail::scramble(seal ^ (std::uint64_t{block->site} << 32 | block->state) ^ (std::uint64_t{block->prefix} << 17));
    }
    void reseal(header* block) const noexcept { block->seal = seal_of(block); }

    // The 16 canary bytes on one side of a block, derived from the secret and the block. Each has
    // its top bit set, so none is zero or ASCII: the commonest one-byte overflows write a string's
    // terminating NUL or a character, and a random canary byte equal to it let 1 in 256 through
    // (a planted 'x' one past a block went unseen so once in 300 runs).
    void canary(const header* block, bool front, std::byte* out) const noexcept {
        const std::uint64_t key = detail::scramble(secret_ ^ reinterpret_cast<std::uintptr_t>(block) ^ (front ? 0 : 0xB5));
        const std::uint64_t words[2] = {key, detail::scramble(key)};
        std::memcpy(out, words, sizeof words);
        for (std::size_t i = 0; i < detail::canary_bytes; ++i) out[i] |= std::byte{0x80};
    }
    bool canary_intact(const header* block, bool front) const noexcept {
        std::byte expected[detail::canary_bytes];
        canary(block, front, expected);
        const std::byte* at = front ? user_of(block) - detail::canary_bytes : user_of(block) + block->size;
        return std::memcmp(at, expected, sizeof expected) == 0;
    }

    void* open_block(std::byte* block_start, std::size_t prefix, std::size_t size, std::uint32_t site) {
        auto* block = reinterpret_cast<header*>(block_start + prefix - detail::header_and_canary_bytes);
        block->size = size;
        block->site = site;
        block->state = header::live;
        block->prefix = static_cast<std::uint32_t>(prefix);
        block->unused = 0;
        reseal(block);
        std::byte* user = user_of(block);
        canary(block, true, user - detail::canary_bytes);
        canary(block, false, user + size);
        std::memset(user, static_cast<int>(debug_fill::allocated), size);
        link_before(live_.next, block);  // newest first
        live_bytes_ += size;
        ++live_count_;
        return user;
    }

    // The header of the block starting at `pointer` if one of ours is there, else null. Reads
    // memory only where the inner heap owns it.
    header* sealed_header(const void* pointer) const noexcept {
        const auto address = reinterpret_cast<std::uintptr_t>(pointer);
        if (address % default_alignment_bytes != 0 || address < detail::header_and_canary_bytes) return nullptr;
        auto* block = reinterpret_cast<header*>(address - detail::header_and_canary_bytes);
        if (!inner_.owns(block) || block->seal != seal_of(block)) return nullptr;
        return block;
    }

    // A pointer that is no block's start: into a live block, or not ours at all.
    void report_stray(const void* pointer) const {
        const auto* byte = static_cast<const std::byte*>(pointer);
        for (const header* block = live_.next; block != &live_; block = block->next) {
            const std::byte* user = user_of(block);
            if (byte >= user - detail::canary_bytes && byte < user + block->size + detail::canary_bytes)
                return report(debug_issue::interior_pointer, block);
        }
        options_.handler({debug_issue::foreign_pointer, pointer, 0, nullptr});
    }
    void report(debug_issue issue, const header* block) const {
        options_.handler({issue, user_of(block), block->size, &sites_.site(block->site)});
    }
    void check_canaries(const header* block) const {
        if (!canary_intact(block, true)) report(debug_issue::underflow, block);
        if (!canary_intact(block, false)) report(debug_issue::overflow, block);
    }
    // Whether the freed fill of bytes [from, to) of the block is intact, a word at a time.
    static bool fill_intact(const header* block, std::size_t from, std::size_t to) noexcept {
        constexpr std::uint64_t fill_word = 0x0101010101010101ull * static_cast<unsigned char>(debug_fill::freed);
        const std::byte* user = user_of(block);
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
    void check_fill(const header* block, bool every_byte) const {
        const std::size_t size = block->size;
        const bool intact =
            every_byte || size <= 2 * fill_check_edge_bytes
                ? fill_intact(block, 0, size)
                : fill_intact(block, 0, fill_check_edge_bytes) && fill_intact(block, size - fill_check_edge_bytes, size);
        if (!intact) report(debug_issue::write_after_free, block);
    }
    void check_listed(const header* block, std::uint32_t state) const {
        if (block->seal != seal_of(block) || block->state != state || block->next->previous != block)
            throw std::logic_error("heapkit::debug_heap invariant DH1 broken: a listed header is damaged");
    }

    void release_oldest() {
        header* oldest = quarantine_.next;
        check_fill(oldest, false);
        unlink(oldest);
        quarantine_bytes_ -= oldest->size;
        --quarantine_count_;
        inner_.deallocate(reinterpret_cast<std::byte*>(user_of(oldest)) - oldest->prefix);
    }

    static void link_before(header* position, header* block) noexcept {
        block->next = position;
        block->previous = position->previous;
        position->previous->next = block;
        position->previous = block;
    }
    static void unlink(header* block) noexcept {
        block->previous->next = block->next;
        block->next->previous = block->previous;
    }

    Inner inner_;
    debug_options options_;
    std::uint64_t secret_;  // keys seals and canaries
    detail::site_table sites_;
    header live_{};               // sentinel of the live list (newest first)
    header quarantine_{};         // sentinel of the quarantine (oldest first)
    std::size_t live_count_ = 0;  // DH2: blocks in live_
    std::size_t live_bytes_ = 0;  // DH2: their sizes
    std::size_t quarantine_count_ = 0;
    std::size_t quarantine_bytes_ = 0;
};

}  // namespace heapkit
