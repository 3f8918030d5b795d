// SPDX-License-Identifier: MIT
// heapkit::trace::profile: an allocation trace with, for each event, its time, its thread and
// the call stack that made it. Read from heapkit's binary profiles (`heapkit run --profile`,
// docs/PROTOCOL.md "Profile files"), from heaptrack's recordings (heaptrack.PROG.PID.zst or .gz,
// as `heaptrack` writes them) and from any trace read_trace_file takes (then without stacks).
// Stacks are a tree of nodes (a node is its innermost frame and its caller's node), so that a
// stack shared by many events is stored once and flame graphs walk it from the root.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "heapkit/trace/trace.hpp"

namespace heapkit::trace {

// One frame: a place in a module, with its name once known (heaptrack's files carry names;
// heapkit's are named by symbolize_profile).
struct code_location {
    std::uint32_t module = 0;  // index into profile::modules; 0: none known (offset is then the address)
    std::uint64_t offset = 0;  // from the module's load address, as `addr2line -e MODULE` takes it
    std::string function;      // empty: not known
    std::string file;          // empty: not known
    std::uint32_t line = 0;    // 0: not known
};

struct stack_node {
    std::uint32_t frame;   // index into profile::frames
    std::uint32_t parent;  // the caller's node; node 0 is the root, which has no frame
};

// What a profile knows of one event beyond its sizes.
struct event_context {
    std::uint64_t time_us = 0;  // since the program started
    std::uint32_t thread = 0;   // threads numbered from 0 in the order they first allocated
    std::uint32_t stack = 0;    // its stack node; 0: no stack (a free, or an event recorded without one)
};

struct profile {
    trace sizes;                           // the size-only part: what replay, map and convert take
    std::vector<event_context> context;    // one per sizes.events
    std::vector<std::string> modules{""};  // [0]: no module
    std::vector<code_location> frames;
    std::vector<stack_node> nodes{{0, 0}};  // [0]: the root
    std::string format;                     // "heapkit profile 1", "heaptrack 3", "trace"
    std::string command;                    // the program and its arguments, as recorded
    std::uint64_t pid = 0;
    std::uint64_t sample_bytes = 0;  // one allocation recorded per this many bytes; 0: all
    std::size_t threads = 0;
    bool ended = true;  // whether the recording saw the program's exit (heapkit's end record)

    // Throws std::logic_error naming the broken invariant: one context per event (P1), module 0
    // and the root node present (P2), frames in listed modules (P3), each stack node after its
    // parent and on a known frame (P4), events on known stacks and threads (P5), times never
    // going back (P6). Every reader's result holds them (the profile reader fuzz target checks).
    void validate() const;
    // The frames of a node's stack, innermost first.
    std::vector<std::uint32_t> stack_frames(std::uint32_t node) const;
    // A frame as a person reads it: "function (file:line)", "function (module)",
    // "module+0xOFFSET (file:line)" or "module+0xOFFSET".
    std::string frame_text(std::uint32_t frame) const;
    double seconds() const { return context.empty() ? 0.0 : static_cast<double>(context.back().time_us) / 1e6; }
    // Each event's time, in event order (what draw_memory_map spaces its rows by).
    std::vector<std::uint64_t> event_times_us() const;
};

// Whether the file at `path` is a profile (heapkit's or heaptrack's, compressed or not) rather
// than a plain trace. Throws trace_error when it cannot be read.
bool is_profile_file(const std::string& path);
// Reads a profile, a heaptrack recording, or a plain trace (no stacks). Throws trace_error
// naming the file and, where it applies, the record or line.
profile read_profile_file(const std::string& path);

// Names the frames of heapkit's profiles from the modules' symbol tables (ELF .symtab, else
// .dynsym; C++ names demangled) and gives them the file and line of the call from the modules'
// DWARF line tables (their own, or separate debug files under /usr/lib/debug). Frames already
// named, and modules that cannot be read, are left as they are.
void symbolize_profile(profile& recording);

}  // namespace heapkit::trace
