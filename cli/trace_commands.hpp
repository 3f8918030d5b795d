// SPDX-License-Identifier: MIT
// What the commands that replay traces (replay, map) share: the policy names, the one place a
// policy name becomes an allocator, and reading a trace file with errors a user can act on.
#pragma once

#include <CLI/CLI.hpp>

#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "failure.hpp"
#include "heapkit/offset/index_registry.hpp"
#include "heapkit/trace/printable.hpp"
#include "heapkit/trace/profile.hpp"
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

// Says on stderr which lines of a log changed no block, by kind.
inline void say_skipped(const trace::trace& events, const std::string& path, const char* command) {
    if (events.skipped.total() > 0) {
        std::string kinds;
        const auto count = [&](std::size_t lines, const char* one, const char* many) {
            if (lines == 0) return;
            kinds += (kinds.empty() ? "" : ", ") + std::to_string(lines) + " " + (lines == 1 ? one : many);
        };
        const trace::skipped_lines& skipped = events.skipped;
        count(skipped.null_frees, "free of null", "frees of null");
        count(skipped.unknown_frees, "free of a block allocated before the log began",
              "frees of blocks allocated before the log began");
        count(skipped.double_frees, "double free", "double frees");
        count(skipped.failed_allocations, "allocation that failed", "allocations that failed");
        count(skipped.other_messages, "line of another message", "lines of other messages");
        std::fprintf(stderr, "heapkit %s: %s: skipped %s\n", command, path.c_str(), kinds.c_str());
    }
}

// The trace at `path` (a profile's size-only part too); a malformed, truncated or unreadable one
// is a failure naming the file and line.
inline trace::trace load_trace(const std::string& path, const char* command) {
    trace::trace events;
    try {
        events = trace::read_trace_file(path);
    } catch (const trace::trace_error& error) {
        throw failure(error.what());
    }
    say_skipped(events, path, command);
    return events;
}

enum class frame_names { named, unnamed };

// The profile at `path` (heapkit's, heaptrack's, or a trace without stacks), its frames named
// unless the command draws no frames.
inline trace::profile load_profile(const std::string& path, const char* command, frame_names names = frame_names::named) {
    trace::profile recording;
    try {
        recording = trace::read_profile_file(path);
    } catch (const trace::trace_error& error) {
        throw failure(error.what());
    }
    say_skipped(recording.sizes, path, command);
    if (names == frame_names::named) trace::symbolize_profile(recording);
    return recording;
}

// Writes a command's output file (gzip-compressed when `path` ends in .gz); a file that cannot
// be written is a failure naming it.
inline void save_output(const std::string& path, const std::string& bytes) {
    try {
        trace::write_text_file(path, bytes);
    } catch (const trace::trace_error& error) {
        throw failure(error.what());
    }
}

// A validator of output names: one of `endings` (".svg", ...), each also with ".gz" after it,
// else "WHY: name the file FILE.ENDING, got 'NAME'", so that no file is mislabelled.
inline CLI::Validator file_name_ending(std::vector<std::string> endings, std::string why) {
    return CLI::Validator(
        [endings, why](const std::string& name) -> std::string {
            for (const std::string& ending : endings)
                for (const std::string& suffix : {ending, ending + ".gz"})
                    if (name.size() > suffix.size() && name.ends_with(suffix)) return "";
            return why + ": name the file FILE" + endings.front() + " (or FILE" + endings.front() + ".gz), got '" +
                   trace::printable(name) + "'";
        },
        "FILE" + endings.front());
}

}  // namespace heapkit::cli
