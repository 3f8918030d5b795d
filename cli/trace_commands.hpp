// SPDX-License-Identifier: MIT
// What the commands that replay traces (replay, map) share: the policy names, the one place a
// policy name becomes an allocator, and reading a trace file with errors a user can act on.
#pragma once

#include <CLI/CLI.hpp>

#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "heapkit/offset/index_names.hpp"
#include "heapkit/trace/trace.hpp"

namespace heapkit::cli {

inline const std::vector<std::string> policy_names{"first", "next", "best", "worst", "tlsf", "buddy"};

// Calls visit(make) where make() builds the allocator of `policy`: first, next, best and worst
// on the tree index, tlsf and buddy on their own.
template <class Visit>
decltype(auto) with_policy_allocator(const std::string& policy, Size capacity, Visit visit) {
    const std::optional<Fit> fit = fit_from_name(policy);
    return with_index_named(fit ? "tree" : policy, [&](auto type) {
        using allocator = typename decltype(type)::type;
        return visit([&] { return allocator(capacity, fit.value_or(Fit::first)); });
    });
}

// The trace at `path`; a malformed one becomes a command-line error naming the line.
inline trace::trace load_trace(const std::string& path, const char* command) {
    trace::trace events;
    try {
        events = trace::read_trace_file(path);
    } catch (const trace::trace_error& failure) {
        throw CLI::ValidationError("TRACE", failure.what());
    }
    if (events.skipped_lines > 0) {
        std::fprintf(stderr, "heapkit %s: %s: skipped %zu lines about blocks the log never allocated\n", command, path.c_str(),
                     events.skipped_lines);
    }
    return events;
}

}  // namespace heapkit::cli
