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

struct trace {
    std::string source;             // where it was read from, for messages
    std::vector<event> events;      // in order
    std::size_t slot_count = 0;     // the most blocks live at once
    std::size_t skipped_lines = 0;  // log lines about blocks the log never allocated
};

// A line a trace cannot contain: garbage, an unknown or already live id, a double free.
class trace_error : public std::runtime_error {
public:
    trace_error(const std::string& source, std::size_t line, const std::string& problem)
        : std::runtime_error(source + ":" + std::to_string(line) + ": " + problem), line_(line) {}
    std::size_t line() const noexcept { return line_; }

private:
    std::size_t line_;  // 1-based
};

// Reads a trace from `input`; `source` names it in messages. Throws trace_error.
trace read_trace(std::istream& input, const std::string& source);
// Reads the trace file at `path`, gzip-compressed or not. Throws trace_error (line 0: cannot open).
trace read_trace_file(const std::string& path);

// Writes `events` in heapkit's format (ids are the dense slots, which are unique among live
// blocks), after a `# comment` line when `comment` is not empty.
void write_trace(std::ostream& out, const trace& events, const std::string& comment = "");
// Writes the trace file at `path`, gzip-compressed when the name ends in ".gz". Throws
// trace_error (line 0) when it cannot be written.
void write_trace_file(const std::string& path, const trace& events, const std::string& comment = "");

}  // namespace heapkit::trace
