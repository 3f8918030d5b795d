// SPDX-License-Identifier: MIT
// throw_error: maps an errc to its exception type, in one place.
#include "heapkit/offset/error.hpp"

namespace heapkit {

void throw_error(errc kind, const std::string& message) {
    switch (kind) {
        case errc::invalid_size: throw invalid_size(message);
        case errc::invalid_alignment: throw invalid_alignment(message);
        case errc::invalid_address: throw invalid_address(message);
        case errc::invalid_free: throw invalid_free(message);
        case errc::out_of_memory: throw out_of_memory(message);
        case errc::invalid_constraint: throw invalid_constraint(message);
        case errc::ok: break;
    }
    throw std::logic_error("heapkit::throw_error called without an error: " + message);
}

}  // namespace heapkit
