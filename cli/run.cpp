// SPDX-License-Identifier: MIT
// `heapkit run [--debug] [--guard MODE] [--stats] [--trace FILE] [--profile FILE [--sample-bytes N]]
// [--log FILE] -- PROGRAM ARGS...`:
// runs a program on heapkit's malloc by putting libheapkit_malloc.so (from ../lib next to this
// binary) in front of LD_PRELOAD and exec'ing it; the options set the library's HEAPKIT_DEBUG,
// HEAPKIT_GUARD, HEAPKIT_STATS, HEAPKIT_TRACE, HEAPKIT_PROFILE(_SAMPLE) and HEAPKIT_LOG, a relative FILE made absolute
// here, so that processes that change directory still write where the user meant.
#include <CLI/CLI.hpp>

#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "commands.hpp"
#include "failure.hpp"
#include "heapkit/trace/printable.hpp"
#include "numbers.hpp"

namespace heapkit::cli {
namespace {

std::filesystem::path malloc_library() {
    const std::filesystem::path binary = std::filesystem::read_symlink("/proc/self/exe");
    return binary.parent_path().parent_path() / "lib" / "libheapkit_malloc.so";
}

struct run_options {
    std::vector<std::string> command;
    bool debug = false;
    std::string guard;  // empty: no guard pages
    bool stats = false;
    std::string trace;               // empty: no trace
    std::string log;                 // empty: reports on stderr
    std::string profile;             // empty: no profile
    std::uint64_t sample_bytes = 0;  // 0: every allocation profiled
};

// Whether `mode` is one HEAPKIT_GUARD takes: all or sample:N (N from 1), either with :left.
bool is_guard_mode(std::string_view mode) {
    if (mode.ends_with(":left")) mode.remove_suffix(5);
    if (mode == "all") return true;
    if (!mode.starts_with("sample:")) return false;
    const std::string_view every = mode.substr(7);
    return !every.empty() && every[0] != '0' && every.find_first_not_of("0123456789") == std::string_view::npos;
}

// FILE resolved against the directory `heapkit run` started in.
std::string absolute(const std::string& file) { return std::filesystem::absolute(file).string(); }

[[noreturn]] void run_program(const run_options& options) {
    const std::vector<std::string>& command = options.command;
    const std::filesystem::path library = malloc_library();
    if (!std::filesystem::exists(library)) throw failure("cannot find " + library.string());
    std::string preload = library.string();
    if (const char* existing = std::getenv("LD_PRELOAD"); existing != nullptr && *existing != '\0')
        preload += std::string(":") + existing;
    ::setenv("LD_PRELOAD", preload.c_str(), 1);
    ::setenv("HEAPKIT_RUN", "1", 1);  // the library says at exit when the program never called it
    if (options.debug) ::setenv("HEAPKIT_DEBUG", "1", 1);
    if (!options.guard.empty()) ::setenv("HEAPKIT_GUARD", options.guard.c_str(), 1);
    if (options.stats) ::setenv("HEAPKIT_STATS", "1", 1);
    if (!options.trace.empty()) ::setenv("HEAPKIT_TRACE", absolute(options.trace).c_str(), 1);
    if (!options.log.empty()) ::setenv("HEAPKIT_LOG", absolute(options.log).c_str(), 1);
    if (!options.profile.empty()) {
        const std::string file = absolute(options.profile);
        if (file.find("%p") == std::string::npos) std::filesystem::remove(file);  // a profile of an earlier run is replaced
        ::setenv("HEAPKIT_PROFILE", file.c_str(), 1);
    }
    if (options.sample_bytes != 0) ::setenv("HEAPKIT_PROFILE_SAMPLE", std::to_string(options.sample_bytes).c_str(), 1);
    std::vector<char*> arguments;
    for (const std::string& word : command) arguments.push_back(const_cast<char*>(word.c_str()));
    arguments.push_back(nullptr);
    ::execvp(arguments[0], arguments.data());
    throw failure("cannot run " + trace::printable(command[0]) + ": " + std::strerror(errno));
}

}  // namespace

void add_run_command(CLI::App& app) {
    auto options = std::make_shared<run_options>();
    CLI::App* run = app.add_subcommand("run", "Run a program on heapkit's malloc (libheapkit_malloc.so via LD_PRELOAD)");
    run->add_flag("--debug", options->debug,
                  "Check every block: canaries, fills, quarantine, blocks left at exit (HEAPKIT_DEBUG=1)");
    run->add_option("--guard", options->guard,
                    "Put blocks against guard pages, so that overflows and uses after free stop at the access: all, "
                    "sample:N (one in N), either with :left (HEAPKIT_GUARD)")
        ->check([](const std::string& mode) {
            return is_guard_mode(mode) ? std::string() : "expected all, all:left, sample:N or sample:N:left";
        });
    run->add_flag("--stats", options->stats, "Print a summary at exit (HEAPKIT_STATS=1)");
    run->add_option("--trace", options->trace, "Write the program's allocation trace to FILE, %p the process id (HEAPKIT_TRACE)");
    CLI::Option* profile = run->add_option(
        "--profile", options->profile,
        "Write a profile to FILE: every allocation, free and realloc with its thread, time and stack, for heapkit report "
        "(HEAPKIT_PROFILE; %p the process id, else programs it starts leave FILE to it)");
    add_number_option(run, "--sample-bytes", options->sample_bytes,
                      "Profile one allocation per N bytes allocated, and the frees of those (HEAPKIT_PROFILE_SAMPLE)", 1)
        ->needs(profile);
    run->add_option("--log", options->log,
                    "Write heapkit's reports (misuse, leaks, the summary) to FILE instead of stderr, %p the process id "
                    "(HEAPKIT_LOG)");
    run->add_option("command", options->command, "-- PROGRAM ARGS...")->required();
    run->callback([options] { run_program(*options); });
}

}  // namespace heapkit::cli
