// SPDX-License-Identifier: MIT
// Test helper: runs the real `heapkit` binary (HEAPKIT_BINARY) with arguments and standard input.
#pragma once

#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <string>

namespace heapkit::test {

struct run_result {
    std::string output;
    int exit_status;
};

// A new file holding `text`, with a unique name (tests run in parallel); the caller removes it.
inline std::string write_temporary_file(const std::string& text) {
    std::string path = ::testing::TempDir() + "heapkit_test_XXXXXX";
    const int file = mkstemp(path.data());
    if (file < 0) throw std::runtime_error("cannot create a temporary file");
    close(file);
    std::ofstream(path) << text;
    return path;
}

// Runs `heapkit ARGUMENTS` with `input` on standard input; captures standard output.
inline run_result run_heapkit(const std::string& arguments, const std::string& input) {
    const std::string input_path = write_temporary_file(input);
    const std::string command = std::string(HEAPKIT_BINARY) + " " + arguments + " < " + input_path + " 2>/dev/null";
    FILE* pipe = popen(command.c_str(), "r");
    if (pipe == nullptr) return {"", -1};
    std::string output;
    char buffer[4096];
    for (std::size_t got; (got = fread(buffer, 1, sizeof buffer, pipe)) > 0;) output.append(buffer, got);
    const int status = pclose(pipe);
    std::remove(input_path.c_str());
    return {output, WIFEXITED(status) ? WEXITSTATUS(status) : -1};
}

}  // namespace heapkit::test
