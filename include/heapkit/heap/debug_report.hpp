// SPDX-License-Identifier: MIT
// What the debug heap finds and how it tells you: the kinds of misuse it detects, the allocation
// site of a block (source location plus captured stack), one report per finding handed to a
// handler (by default: one line on stderr, then abort), leak records grouped by site, and
// live-set snapshots whose series names the sites that keep growing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace heapkit {

enum class debug_issue : unsigned char {
    double_free,       // a block freed while it waits in quarantine
    foreign_pointer,   // a pointer the heap never handed out
    interior_pointer,  // a pointer into the middle of a live block
    overflow,          // the canary after a block was overwritten
    underflow,         // the canary before a block was overwritten
    write_after_free,  // a freed block's fill changed while in quarantine
    leak,              // a block still live when the report was asked for
    use_after_free,    // a freed block read or written, stopped at the access (heapkit's malloc with guard pages)
    mismatched_free,   // freed by a function of another family than the one that allocated it (free of new[], ...)
    wrong_size,        // a sized delete that states another size than the block's
};

// How a block was asked for, and so how it must be given back: malloc and its kin with free,
// new with delete, new[] with delete[].
enum class allocation_kind : unsigned char { malloc, new_object, new_array };
// "malloc", "new", "new[]".
std::string_view allocator_name(allocation_kind kind) noexcept;
// "free", "delete", "delete[]".
std::string_view deallocator_name(allocation_kind kind) noexcept;
std::string_view issue_name(debug_issue issue) noexcept;

// A place in the source, captured where a call is written: call_site::current() as a default
// argument names the caller. (std::source_location would do, but clang 14, which builds the fuzz
// targets, cannot provide it with libstdc++ 12; these builtins exist in both compilers.)
struct call_site {
    const char* file;
    const char* function;
    unsigned line;

    static constexpr call_site current(const char* file = __builtin_FILE(), const char* function = __builtin_FUNCTION(),
                                       unsigned line = __builtin_LINE()) noexcept {
        return {file, function, line};
    }
};

// Where a block was allocated: the caller's source location and the stack, innermost first.
struct allocation_site {
    call_site location;
    std::vector<const void*> frames;

    // "file:line (function)".
    std::string where() const;
    // One symbolized line per frame ("function+0x1c (binary)"), innermost first.
    std::vector<std::string> symbolized_frames() const;
};

struct debug_report {
    debug_issue issue;
    const void* address;                          // the block (user pointer), or the offending pointer
    std::size_t size;                             // the block's size in bytes; 0 when no block is known
    const allocation_site* site;                  // where the block was allocated; null when no block is known
    std::size_t count = 1;                        // leaks: blocks of this site
    const allocation_site* freed_site = nullptr;  // double free, write or use after free: where the block was freed, if known
    allocation_kind allocated_by = allocation_kind::malloc;  // mismatched_free: the block's family
    allocation_kind freed_by = allocation_kind::malloc;      // mismatched_free: the freeing call's
    std::size_t stated_size = 0;                             // wrong_size: what the sized delete said

    // The one line the default handler prints, e.g.
    // "heapkit: overflow past the 24-byte block at 0x5581... allocated at a.cpp:12 (main)", or
    // "heapkit: double free of the 24-byte block at 0x5581... allocated at a.cpp:12 (main); freed at a.cpp:14 (main)".
    std::string message() const;
    // The same line with the sites told as `allocated_at` and `freed_at` (a caller that knows
    // which of a site's frames matter, as heapkit's malloc does, names them; an empty freed_at
    // leaves the free site out).
    std::string message(std::string_view allocated_at, std::string_view freed_at = {}) const;
};

// The reaction to a finding. It may throw or return (tests record reports); the default prints
// report.message() on stderr and aborts.
using debug_handler = std::function<void(const debug_report&)>;
[[noreturn]] void abort_with_report(const debug_report& report);

// The blocks one site left live.
struct leak_record {
    const allocation_site* site;
    std::size_t bytes = 0;            // asked for, all blocks together
    std::vector<const void*> blocks;  // their addresses, in allocation order
};

// Live blocks of one site.
struct site_total {
    std::size_t count = 0;  // blocks
    std::size_t bytes = 0;  // bytes asked for
    friend bool operator==(const site_total&, const site_total&) = default;
};

// The live set at one moment, by site.
using live_snapshot = std::map<const allocation_site*, site_total>;

struct site_growth {
    const allocation_site* site;
    std::size_t first_bytes;  // live bytes in the first snapshot
    std::size_t last_bytes;   // live bytes in the last
};

// The sites whose live bytes grew between every two consecutive snapshots of `series` (at least
// two), largest growth first: the logical leaks of a program whose memory should be steady.
// O(snapshots * sites log sites).
std::vector<site_growth> growing_sites(std::span<const live_snapshot> series);

}  // namespace heapkit
