// SPDX-License-Identifier: MIT
// memory_map_canvas: column occupancy by a difference array, runs of equal shade merged into one
// rectangle, and the SVG text with its axes, legend and peak marker.
#include "heapkit/trace/memory_map_svg.hpp"

#include "heapkit/trace/page_text.hpp"

#include <cmath>
#include <cstdio>
#include <utility>

namespace heapkit::trace {

namespace {

constexpr std::size_t margin = 10;         // pixels around the drawing
constexpr std::size_t left_pixels = 80;    // time labels, left of the rows
constexpr std::size_t right_pixels = 110;  // the peak's label, right of the rows
constexpr std::size_t header_pixels = 78;  // title, caption, legend and the time axis name
constexpr std::size_t final_gap = 30;      // between the timeline and the final bar (its label)
constexpr std::size_t final_pixels = 30;   // height of the final bar
constexpr std::size_t footer_pixels = 36;  // address labels and the axis name
constexpr const char* shade_colours[] = {"none", "#c6dbef", "#6baed6", "#2171b5", "#08306b"};  // by quarter live

}  // namespace

std::string quantity_text(std::uint64_t units, bool units_are_bytes, bool with_unit) {
    if (units_are_bytes) return bytes_text(units);
    return std::to_string(units) + (with_unit ? " units" : "");
}

memory_map_canvas::memory_map_canvas(Size extent, const map_options& options) : extent_(extent), options_(options) {}

std::vector<std::size_t> row_ends(std::size_t operations, std::size_t rows, const std::vector<std::uint64_t>& times_us) {
    std::vector<std::size_t> ends;
    if (operations == 0) return ends;
    const bool timed = times_us.size() == operations && times_us.back() > times_us.front();
    for (std::size_t row = 1; row <= rows; ++row) {
        if (!timed) {
            ends.push_back((row * operations + rows - 1) / rows);
            continue;
        }
        const std::uint64_t first = times_us.front(), span = times_us.back() - first;
        // A span near 2^64 rounds up to 2^64 as a double, which no uint64_t holds: the last share is the span.
        const double share = static_cast<double>(span) * static_cast<double>(row) / static_cast<double>(rows);
        const std::uint64_t at = first + (share >= static_cast<double>(span) ? span : static_cast<std::uint64_t>(share));
        const auto done = static_cast<std::size_t>(std::upper_bound(times_us.begin(), times_us.end(), at) - times_us.begin());
        ends.push_back(row == rows ? operations : std::max<std::size_t>(done, 1));
    }
    return ends;
}

column_coverage::column_coverage(Size extent, std::size_t columns)
    : columns_(columns),
      width_(static_cast<double>(extent) / static_cast<double>(columns)),
      covered_(columns + 1, 0.0),
      full_from_(columns + 1, 0.0) {}

void column_coverage::change(Offset start_unit, Size size, double sign) {
    const double start = static_cast<double>(start_unit), end = static_cast<double>(start_unit + size);
    const auto first = std::min(columns_ - 1, static_cast<std::size_t>(start / width_));
    const auto last = std::min(columns_ - 1, static_cast<std::size_t>(std::nextafter(end, 0.0) / width_));
    if (first >= last) {  // within one column (or too small for doubles to tell apart)
        covered_[first] += sign * (end - start);
        return;
    }
    covered_[first] += sign * (static_cast<double>(first + 1) * width_ - start);
    covered_[last] += sign * (end - static_cast<double>(last) * width_);
    full_from_[first + 1] += sign * width_;  // columns first+1 .. last-1 are wholly live
    full_from_[last] -= sign * width_;
}

std::vector<shade_run> column_coverage::runs() const {
    std::vector<shade_run> runs;
    double whole = 0;
    for (std::size_t column = 0; column < columns_; ++column) {
        whole += full_from_[column];
        const double share = (covered_[column] + whole) / width_;
        const unsigned shade = share <= 1e-9 ? 0 : std::min(4u, 1 + static_cast<unsigned>(share * 4.0 - 1e-9));
        if (!runs.empty() && runs.back().shade == shade && runs.back().first_column + runs.back().columns == column) {
            ++runs.back().columns;
        } else if (shade != 0) {
            runs.push_back({column, 1, shade});
        }
    }
    return runs;
}

std::vector<shade_run> memory_map_canvas::shade_runs(const std::vector<live_range>& live) const {
    column_coverage coverage(extent_, options_.columns);
    for (const live_range& block : live) coverage.add(block.start, block.size);
    return coverage.runs();
}

void memory_map_canvas::add_row(const std::vector<live_range>& live, std::string hover) {
    rows_.push_back(shade_runs(live));
    hovers_.push_back(std::move(hover));
}

void memory_map_canvas::add_row(const column_coverage& coverage, std::string hover) {
    rows_.push_back(coverage.runs());
    hovers_.push_back(std::move(hover));
}

void memory_map_canvas::set_final(const std::vector<live_range>& live) {
    final_blocks_.clear();
    final_runs_.clear();
    if (live.size() <= options_.exact_final_blocks) {
        final_blocks_ = live;
    } else {
        final_runs_ = shade_runs(live);
    }
}

void memory_map_canvas::write_svg(std::ostream& out, const map_labels& labels) const {
    const std::size_t width = left_pixels + options_.columns + right_pixels;
    const std::size_t timeline_top = margin + header_pixels;
    const std::size_t timeline_height = rows_.size() * options_.row_pixels;
    const std::size_t final_top = timeline_top + timeline_height + final_gap;
    const std::size_t height = final_top + final_pixels + footer_pixels + margin;
    const double pixels_per_unit = static_cast<double>(options_.columns) / static_cast<double>(extent_);
    const auto amount = [&](Size units) { return quantity_text(units, options_.units_are_bytes, units == extent_); };

    out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << width << "\" height=\"" << height << "\" viewBox=\"0 0 "
        << width << ' ' << height << "\" font-family=\"sans-serif\" font-size=\"12\" stroke=\"none\">\n"
        << "<title>" << html_escaped(labels.title) << "</title>\n"
        << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        << "<text x=\"" << margin << "\" y=\"" << margin + 14 << "\" font-weight=\"bold\">" << html_escaped(labels.title)
        << "</text>\n"
        << "<text x=\"" << margin << "\" y=\"" << margin + 30 << "\">" << html_escaped(labels.caption) << " · address across, "
        << html_escaped(labels.time_axis) << " down</text>\n";

    out << "<g id=\"legend\" transform=\"translate(" << margin << ',' << margin + 40 << ")\">\n"
        << "<text y=\"11\">share of each address slice live:</text>\n";
    constexpr const char* shares[] = {"", "up to 25%", "up to 50%", "up to 75%", "over 75%"};
    for (unsigned shade = 1; shade <= 4; ++shade) {
        const std::size_t x = 200 + (shade - 1) * 110;
        out << "<rect x=\"" << x << "\" width=\"14\" height=\"14\" fill=\"" << shade_colours[shade] << "\"/><text x=\"" << x + 18
            << "\" y=\"11\">" << shares[shade] << "</text>\n";
    }
    out << "</g>\n";

    out << "<g id=\"timeline\" transform=\"translate(" << left_pixels << ',' << timeline_top << ")\">\n"
        << "<rect width=\"" << options_.columns << "\" height=\"" << timeline_height << "\" fill=\"none\" stroke=\"#ccc\"/>\n";
    for (std::size_t row = 0; row < rows_.size(); ++row) {
        const std::size_t y = row * options_.row_pixels;
        out << "<g><title>" << html_escaped(hovers_[row]) << "</title><rect y=\"" << y << "\" width=\"" << options_.columns
            << "\" height=\"" << options_.row_pixels << "\" fill=\"white\" fill-opacity=\"0\"/>\n";
        for (const shade_run& r : rows_[row]) {
            out << "<rect x=\"" << r.first_column << "\" y=\"" << y << "\" width=\"" << r.columns << "\" height=\""
                << options_.row_pixels << "\" fill=\"" << shade_colours[r.shade] << "\"/>\n";
        }
        out << "</g>\n";
    }
    out << "</g>\n";

    out << "<g id=\"time-axis\" transform=\"translate(" << left_pixels << ',' << timeline_top << ")\" fill=\"#444\">\n"
        << "<text x=\"-8\" y=\"-6\" text-anchor=\"end\">" << html_escaped(labels.time_axis) << "</text>\n";
    for (const row_label& tick : labels.ticks) {
        const double y = (static_cast<double>(tick.row) + 0.5) * static_cast<double>(options_.row_pixels);
        out << "<rect x=\"-5\" y=\"" << y - 0.5 << "\" width=\"5\" height=\"1\"/><text x=\"-8\" y=\"" << y + 4
            << "\" text-anchor=\"end\">" << html_escaped(tick.text) << "</text>\n";
    }
    out << "</g>\n";
    if (labels.peak) {
        const double y = (static_cast<double>(labels.peak->row) + 0.5) * static_cast<double>(options_.row_pixels);
        out << "<g id=\"peak-marker\" transform=\"translate(" << left_pixels << ',' << timeline_top << ")\" fill=\"#cb181d\">"
            << "<title>" << html_escaped(labels.peak->text) << "</title>\n<rect y=\"" << y - 0.5 << "\" width=\""
            << options_.columns + 6 << "\" height=\"1\" fill-opacity=\"0.6\"/><text x=\"" << options_.columns + 8 << "\" y=\""
            << y + 4 << "\">peak live</text>\n</g>\n";
    }

    out << "<text x=\"" << left_pixels << "\" y=\"" << final_top - 8 << "\">final state</text>\n"
        << "<g id=\"final\" transform=\"translate(" << left_pixels << ',' << final_top << ")\">\n"
        << "<rect width=\"" << options_.columns << "\" height=\"" << final_pixels << "\" fill=\"none\" stroke=\"#ccc\"/>\n";
    for (const live_range& block : final_blocks_) {
        char x[32], w[32];
        std::snprintf(x, sizeof x, "%.3f", static_cast<double>(block.start) * pixels_per_unit);
        std::snprintf(w, sizeof w, "%.3f", std::max(0.25, static_cast<double>(block.size) * pixels_per_unit));
        out << "<rect class=\"block\" data-start=\"" << block.start << "\" data-size=\"" << block.size << "\" x=\"" << x
            << "\" width=\"" << w << "\" height=\"" << final_pixels << "\" fill=\"" << shade_colours[4] << "\"/>\n";
    }
    for (const shade_run& r : final_runs_) {
        out << "<rect class=\"share\" x=\"" << r.first_column << "\" width=\"" << r.columns << "\" height=\"" << final_pixels
            << "\" fill=\"" << shade_colours[r.shade] << "\"/>\n";
    }
    out << "</g>\n";

    const std::size_t axis_top = final_top + final_pixels;
    out << "<g id=\"address-axis\" transform=\"translate(" << left_pixels << ',' << axis_top << ")\" fill=\"#444\">\n";
    for (unsigned tick = 0; tick <= 4; ++tick) {
        const std::size_t x = tick * options_.columns / 4;
        const char* anchor = tick == 0 ? "start" : tick == 4 ? "end" : "middle";
        out << "<rect x=\"" << (tick == 4 ? x - 1 : x) << "\" width=\"1\" height=\"4\"/><text x=\"" << x
            << "\" y=\"16\" text-anchor=\"" << anchor << "\">"
            << html_escaped(amount(extent_ / 4 * tick + extent_ % 4 * tick / 4)) << "</text>\n";
    }
    out << "<text x=\"" << options_.columns / 2 << "\" y=\"31\" text-anchor=\"middle\">address</text>\n</g>\n</svg>\n";
}

}  // namespace heapkit::trace
