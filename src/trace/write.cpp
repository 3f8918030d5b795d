// SPDX-License-Identifier: MIT
// Writing heapkit's trace format, plain or gzip-compressed (zlib).
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <sstream>

#include "heapkit/trace/trace.hpp"

namespace heapkit::trace {

void write_trace(std::ostream& out, const trace& events, const std::string& comment) {
    // Each line of the comment is a comment line: a line break in it must not start an operation.
    for (std::size_t start = 0; start < comment.size();) {
        const std::size_t end = std::min(comment.find_first_of("\r\n", start), comment.size());
        out << "# " << std::string_view(comment).substr(start, end - start) << '\n';
        start = end + 1;
    }
    for (const event& step : events.events) {
        switch (step.op) {
            case operation::allocate:
                out << "a " << step.slot << ' ' << step.size;
                if (step.alignment > 1) out << ' ' << step.alignment;
                out << '\n';
                break;
            case operation::free: out << "f " << step.slot << '\n'; break;
            case operation::resize: out << "r " << step.slot << ' ' << step.size << '\n'; break;
        }
    }
}

void write_trace_file(const std::string& path, const trace& events, const std::string& comment) {
    std::ostringstream text;
    write_trace(text, events, comment);
    write_text_file(path, text.str());
}

void write_text_file(const std::string& path, std::string_view bytes) {
    const auto failed = [&] {
        return trace_error(path, 0, std::string("cannot write: ") + std::strerror(errno != 0 ? errno : EIO));
    };
    const bool compressed = path.size() > 3 && path.compare(path.size() - 3, 3, ".gz") == 0;
    errno = 0;
    std::unique_ptr<gzFile_s, int (*)(gzFile)> file(gzopen(path.c_str(), compressed ? "wb9" : "wbT"), gzclose);
    if (!file) throw failed();
    std::size_t written = 0;
    while (written < bytes.size()) {
        const auto chunk = static_cast<unsigned>(std::min<std::size_t>(bytes.size() - written, 1u << 20));
        if (gzwrite(file.get(), bytes.data() + written, chunk) != static_cast<int>(chunk)) throw failed();
        written += chunk;
    }
    if (gzclose(file.release()) != Z_OK) throw failed();  // the last buffer is written here
}

}  // namespace heapkit::trace
