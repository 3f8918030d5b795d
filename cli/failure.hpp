// SPDX-License-Identifier: MIT
// heapkit::cli::failure: the work a subcommand was asked for could not be done (a malformed trace,
// a file that cannot be written). main() prints "heapkit SUBCOMMAND: MESSAGE" and exits 1; a bad
// command line (CLI::ParseError) exits 2 instead (docs/PROTOCOL.md, exit status).
#pragma once

#include <stdexcept>
#include <string>

namespace heapkit::cli {

class failure : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

}  // namespace heapkit::cli
