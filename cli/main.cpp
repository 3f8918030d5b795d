// SPDX-License-Identifier: MIT
// The heapkit command: parses the command line, runs one subcommand, and turns every way it can
// end into the exit status of docs/PROTOCOL.md: 0 done, 1 the work failed (cli::failure, or
// standard output could not be written), 2 a bad command line. Every message starts "heapkit:"
// or "heapkit SUBCOMMAND:".
#include <CLI/CLI.hpp>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <iostream>
#include <string>

#include "commands.hpp"
#include "heapkit/trace/printable.hpp"
#include "heapkit/version.hpp"

namespace {

constexpr int exit_failed = 1;
constexpr int exit_usage = 2;

// "heapkit" and the subcommand that was being parsed or run, if any.
std::string speaker(const CLI::App& app) {
    const std::vector<CLI::App*> chosen = app.get_subcommands();
    return chosen.empty() ? "heapkit" : "heapkit " + chosen.front()->get_name();
}

// The names of the subcommands, for a message about an unknown one.
std::string command_names(const CLI::App& app) {
    std::string names;
    for (const CLI::App* command : app.get_subcommands({})) names += (names.empty() ? "" : ", ") + command->get_name();
    return names;
}

int usage_error(const CLI::App& app, const CLI::ParseError& error) {
    const std::string who = speaker(app);
    if (who == "heapkit" && !app.remaining().empty()) {
        const std::string word = app.remaining().front();
        std::fprintf(stderr, "heapkit: unknown %s '%s'; the commands are %s\n", word.starts_with('-') ? "option" : "command",
                     heapkit::trace::printable(word).c_str(), command_names(app).c_str());
    } else {
        std::fprintf(stderr, "%s: %s\n", who.c_str(), error.what());
    }
    std::fprintf(stderr, "Run '%s --help' for more information.\n", who.c_str());
    return exit_usage;
}

// Standard output, flushed and closed: a full disk or a closed pipe is a failure, not a success.
int close_standard_output(const CLI::App& app, int status) {
    std::cout.flush();
    const bool failed_before = !std::cout || std::ferror(stdout) != 0;
    const int saved = errno;
    if (std::fclose(stdout) != 0 || failed_before) {
        std::fprintf(stderr, "%s: cannot write standard output: %s\n", speaker(app).c_str(),
                     std::strerror(failed_before && saved != 0 ? saved : errno));
        return status == 0 ? exit_failed : status;
    }
    return status;
}

int run(CLI::App& app, int argc, char** argv) {
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& request) {
        return app.exit(request);
    } catch (const CLI::CallForAllHelp& request) {
        return app.exit(request);
    } catch (const CLI::CallForVersion& request) {
        return app.exit(request);
    } catch (const CLI::ParseError& error) {
        return usage_error(app, error);
    } catch (const std::exception& error) {  // cli::failure, or anything else the work threw
        std::fprintf(stderr, "%s: %s\n", speaker(app).c_str(), error.what());
        return exit_failed;
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"heapkit: a toolkit for managing a contiguous resource", "heapkit"};
    app.set_version_flag("--version", heapkit::version);
    app.require_subcommand(1);
    heapkit::cli::add_bench_command(app);
    heapkit::cli::add_demo_command(app);
    heapkit::cli::add_diff_command(app);
    heapkit::cli::add_gen_command(app);
    heapkit::cli::add_map_command(app);
    heapkit::cli::add_convert_command(app);
    heapkit::cli::add_run_command(app);
    heapkit::cli::add_replay_command(app);
    heapkit::cli::add_report_command(app);
    heapkit::cli::add_shell_command(app);
    for (CLI::App* command : app.get_subcommands({})) command->set_version_flag("--version", heapkit::version);
    const int status = run(app, argc, argv);
    return close_standard_output(app, status);
}
