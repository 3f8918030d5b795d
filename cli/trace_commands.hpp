// SPDX-License-Identifier: MIT
// What the commands that replay traces (replay, map) share: the policy names, the one place a
// policy name becomes an allocator, and reading a trace file with errors a user can act on.
#pragma once

#include <CLI/CLI.hpp>

#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "heapkit/offset/index_registry.hpp"
#include "heapkit/trace/trace.hpp"

namespace heapkit::cli {

// The policies a trace is replayed under: every fit (on the tree index), then every index that
// places by its own rule.
inline const std::vector<std::string> policy_names = [] {
    std::vector<std::string> names;
    for (Fit fit : all_fits) names.emplace_back(fit_name(fit));
    for (const index_facts& index : index_table) {
        if (!index.takes_fit) names.emplace_back(index.name);
    }
    return names;
}();

// "first, next, best, worst (tree index), tlsf or buddy", for help texts.
inline std::string policy_help() {
    std::vector<std::string> words = policy_names;
    words[all_fits.size() - 1] += " (tree index)";
    return sentence_list(words);
}

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
