// SPDX-License-Identifier: MIT
// The names the command line accepts for --fit and --index, for CLI11's IsMember checks and help.
#pragma once

#include <string>
#include <vector>

#include "heapkit/offset/fit.hpp"
#include "heapkit/offset/index_registry.hpp"

namespace heapkit::cli {

inline std::vector<std::string> fit_choices() {
    std::vector<std::string> names;
    for (Fit fit : all_fits) names.emplace_back(fit_name(fit));
    return names;
}

inline std::vector<std::string> index_choices() { return {index_names.begin(), index_names.end()}; }

// "list (the seed's ..., O(n)), tree (...), ...", for help texts.
inline std::string index_help() {
    std::string text;
    for (const index_facts& index : index_table) {
        if (!text.empty()) text += ", ";
        text += std::string(index.name) + " (" + std::string(index.summary) + ")";
    }
    return text;
}

}  // namespace heapkit::cli
