// SPDX-License-Identifier: MIT
// `heapkit shell --capacity N [--fit F] [--index I]`: the seed's API as a line protocol (docs/PROTOCOL.md).
// Reads commands from standard input and prints exactly one line for each.
#include <CLI/CLI.hpp>

#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "choices.hpp"
#include "commands.hpp"
#include "failure.hpp"
#include "heapkit/offset/index_registry.hpp"
#include "numbers.hpp"
#include "shell_session.hpp"

namespace heapkit::cli {
namespace {

struct shell_options {
    Size capacity = 0;  // required: 0 (no span yet: list and tree) .. 2^64 - 1
    std::string fit = "first";
    std::string index = "list";
};

// Standard input a line at a time, read in blocks of 64 KiB. `before_waiting` runs whenever the
// next line is not in the buffer yet, just before read(2) may block: the shell flushes its replies
// there, so that bulk input gets bulk output and a conversation over pipes gets each reply at once.
class input_lines {
public:
    template <class BeforeWaiting>
    bool next(std::string& line, BeforeWaiting before_waiting) {
        line.clear();
        while (true) {
            const char* start = buffer_.data() + at_;
            const char* end = buffer_.data() + filled_;
            const char* newline = std::find(start, end, '\n');
            line.append(start, newline);
            if (newline != end) {
                at_ = static_cast<std::size_t>(newline - buffer_.data()) + 1;
                return true;
            }
            at_ = filled_ = 0;
            if (ended_) return !line.empty();
            before_waiting();
            ssize_t got = 0;
            do {
                got = ::read(STDIN_FILENO, buffer_.data(), buffer_.size());
            } while (got < 0 && errno == EINTR);
            if (got < 0) throw failure(std::string("cannot read standard input: ") + std::strerror(errno));
            if (got == 0) ended_ = true;
            filled_ = static_cast<std::size_t>(got);
        }
    }

private:
    std::array<char, 64 << 10> buffer_;
    std::size_t at_ = 0;      // the next unread byte
    std::size_t filled_ = 0;  // bytes in the buffer
    bool ended_ = false;      // read(2) said end of input
};

// One reply a command; replies are flushed whenever the shell waits for input, and the
// conversation ends at the end of input, at quit, or when standard output cannot be written.
template <class Allocator>
void serve(Size capacity, Fit fit) {
    shell_session<Allocator> session(capacity, fit);
    input_lines input;
    std::string line;
    const auto flush = [] { std::cout.flush(); };
    while (!session.finished() && std::cout && input.next(line, flush)) {
        if (const std::optional<std::string> reply = session.execute(line)) std::cout << *reply << '\n';
    }
}

void run_shell(const shell_options& options) {
    const Fit fit = *fit_from_name(options.fit);  // CLI11 admits only the names of all_fits
    if (!index_accepts_fit(options.index, fit)) {
        throw CLI::ValidationError(
            "--fit", "applies to --index " + fit_index_names_text() + "; " + options.index + " places by its own rule");
    }
    if (options.capacity == 0 && !index_takes_spans(options.index)) {
        throw CLI::ValidationError("--capacity", "0 (no span until add_span) needs --index " +
                                                     index_names_with(&index_facts::takes_spans) + "; " + options.index +
                                                     " manages a fixed range");
    }
    with_index_named(options.index, [&](auto allocator) { serve<typename decltype(allocator)::type>(options.capacity, fit); });
}

}  // namespace

void add_shell_command(CLI::App& app) {
    auto options = std::make_shared<shell_options>();
    CLI::App* shell = app.add_subcommand("shell", "Run the seed's allocator API as a line protocol on standard input");
    add_number_option(shell, "--capacity", options->capacity, "Units to manage (0: none until add_span, list and tree)", 0)
        ->required();
    shell->add_option("--fit", options->fit, "Placement policy (list and tree)")
        ->check(CLI::IsMember(fit_choices()))
        ->capture_default_str();
    shell->add_option("--index", options->index, "Free-space index: " + index_help())
        ->check(CLI::IsMember(index_choices()))
        ->capture_default_str();
    shell->footer("Commands, one a line on standard input, each answered by one line on standard output: " +
                  shell_command_list() + ". A failed command prints 'error KIND: message' and the shell goes on.");
    shell->callback([options] { run_shell(*options); });
}

}  // namespace heapkit::cli
