// SPDX-License-Identifier: MIT
// The names the command line accepts for --fit and --index, for CLI11's IsMember checks.
#pragma once

#include <string>
#include <vector>

#include "heapkit/offset/fit.hpp"
#include "heapkit/offset/index_names.hpp"

namespace heapkit::cli {

inline std::vector<std::string> fit_choices() {
    std::vector<std::string> names;
    for (Fit fit : all_fits) names.emplace_back(fit_name(fit));
    return names;
}

inline std::vector<std::string> index_choices() { return {index_names.begin(), index_names.end()}; }

}  // namespace heapkit::cli
