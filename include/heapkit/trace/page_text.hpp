// SPDX-License-Identifier: MIT
// Text for the pictures and pages heapkit draws (SVG maps, the HTML report): escaping, and
// quantities written the way a person reads them.
#pragma once

#include <cstdint>
#include <string>

namespace heapkit::trace {

// Text made safe inside HTML and SVG elements and attributes.
std::string html_escaped(const std::string& text);

// "812 B", "14.2 KiB", "31.0 MiB", "2.5 GiB".
std::string bytes_text(std::uint64_t bytes);

// "1.234 s".
std::string seconds_text(std::uint64_t time_us);

// A time on an axis that ends at `end_us`: "1.234 s", or "12.34 ms" when the whole axis is under
// a second.
std::string axis_time_text(std::uint64_t time_us, std::uint64_t end_us);

}  // namespace heapkit::trace
