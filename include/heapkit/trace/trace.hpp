// SPDX-License-Identifier: MIT
// heapkit::trace: an allocation trace. heapkit's text format (docs/PROTOCOL.md), one operation per line:
// `a ID SIZE [ALIGNMENT]` allocates a block named ID, `f ID` frees it, `r ID SIZE` resizes it;
// `#` starts a comment. The same reader takes glibc `mtrace` logs and `valgrind
// --trace-malloc=yes` logs (ids are the addresses; frees of blocks allocated before the log
// began are skipped and counted), gzip-compressed or not. It checks every line and renames the
// ids to dense slots (a slot is reused once its block is freed), so a replay indexes a vector.
// write_trace turns any trace back into heapkit's format (to convert logs).
#pragma once

#include <cstddef>
#include <cstdint>
#include <istream>
#include <ostream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "heapkit/offset/units.hpp"

namespace heapkit::trace {

enum class operation : unsigned char { allocate, free, resize };

struct event {
    operation op;
    std::uint32_t slot;  // dense name of the block: < trace::slot_count
    Size size;           // allocate and resize: units asked for, > 0
    Size alignment;      // allocate: a power of two
};

// The lines of a log (mtrace, valgrind) that change no block of the trace, by kind.
struct skipped_lines {
    std::size_t null_frees = 0;          // free(NULL): legal, and nothing to do
    std::size_t unknown_frees = 0;       // frees of blocks allocated before the log began
    std::size_t double_frees = 0;        // frees of blocks the log had already freed
    std::size_t failed_allocations = 0;  // allocations the log shows returning NULL
    std::size_t other_messages = 0;      // lines of the tool's other output
    std::size_t total() const noexcept { return null_frees + unknown_frees + double_frees + failed_allocations + other_messages; }
};

struct trace {
    std::string source;          // where it was read from, for messages
    std::vector<event> events;   // in order
    std::size_t slot_count = 0;  // the most blocks live at once
    skipped_lines skipped;       // log lines that change no block (heapkit's own format has none)
};

// A line a trace cannot contain: garbage, an unknown or already live id, a double free.
class trace_error : public std::runtime_error {
public:
    // "SOURCE:LINE: PROBLEM", or "SOURCE: PROBLEM" for line 0 (the file as a whole).
    trace_error(const std::string& source, std::size_t line, const std::string& problem)
        : std::runtime_error(source + (line == 0 ? "" : ":" + std::to_string(line)) + ": " + problem), line_(line) {}
    std::size_t line() const noexcept { return line_; }

private:
    std::size_t line_;  // 1-based
};

// Reads a trace from `input`; `source` names it in messages. Throws trace_error.
trace read_trace(std::istream& input, const std::string& source);
// Reads the trace file at `path`, gzip-compressed or not. Throws trace_error (line 0: cannot open).
trace read_trace_file(const std::string& path);

// Writes `events` in heapkit's format (ids are the dense slots, which are unique among live
// blocks), after `comment` as `# ` lines (one per line of it) when it is not empty.
void write_trace(std::ostream& out, const trace& events, const std::string& comment = "");
// Writes the trace file at `path`, gzip-compressed when the name ends in ".gz". Throws
// trace_error (line 0, with the system's reason) when it cannot be written, closing included.
void write_trace_file(const std::string& path, const trace& events, const std::string& comment = "");
// Writes `bytes` to the file at `path`, gzip-compressed when the name ends in ".gz"; every write
// and the final close are checked. Throws trace_error (line 0, with the system's reason).
void write_text_file(const std::string& path, std::string_view bytes);

}  // namespace heapkit::trace
