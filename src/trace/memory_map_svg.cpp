// SPDX-License-Identifier: MIT
// memory_map_canvas: column occupancy by a difference array, runs of equal shade merged into one
// rectangle, and the SVG text.
#include "heapkit/trace/memory_map_svg.hpp"

#include "heapkit/trace/profile_html.hpp"

#include <cmath>
#include <cstdio>

namespace heapkit::trace {

namespace {

constexpr std::size_t margin = 10;         // pixels around the drawing
constexpr std::size_t header_pixels = 40;  // title and caption
constexpr std::size_t final_gap = 30;      // between the timeline and the final bar (its label)
constexpr std::size_t final_pixels = 30;   // height of the final bar
constexpr std::size_t footer_pixels = 20;  // address labels
constexpr const char* shade_colours[] = {"none", "#c6dbef", "#6baed6", "#2171b5", "#08306b"};  // by quarter live

}  // namespace

memory_map_canvas::memory_map_canvas(Size extent, const map_options& options) : extent_(extent), options_(options) {}

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

void memory_map_canvas::add_row(const std::vector<live_range>& live) { rows_.push_back(shade_runs(live)); }

void memory_map_canvas::add_row(const column_coverage& coverage) { rows_.push_back(coverage.runs()); }

void memory_map_canvas::set_final(const std::vector<live_range>& live) {
    final_blocks_.clear();
    final_runs_.clear();
    if (live.size() <= options_.exact_final_blocks) {
        final_blocks_ = live;
    } else {
        final_runs_ = shade_runs(live);
    }
}

void memory_map_canvas::write_svg(std::ostream& out, const std::string& title, const std::string& caption) const {
    const std::size_t width = options_.columns + 2 * margin;
    const std::size_t timeline_top = margin + header_pixels;
    const std::size_t timeline_height = rows_.size() * options_.row_pixels;
    const std::size_t final_top = timeline_top + timeline_height + final_gap;
    const std::size_t height = final_top + final_pixels + footer_pixels + margin;
    const double pixels_per_unit = static_cast<double>(options_.columns) / static_cast<double>(extent_);

    out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << width << "\" height=\"" << height << "\" viewBox=\"0 0 "
        << width << ' ' << height << "\" font-family=\"sans-serif\" font-size=\"12\" stroke=\"none\">\n"
        << "<title>" << html_escaped(title) << "</title>\n"
        << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        << "<text x=\"" << margin << "\" y=\"" << margin + 14 << "\" font-weight=\"bold\">" << html_escaped(title) << "</text>\n"
        << "<text x=\"" << margin << "\" y=\"" << margin + 30 << "\">" << html_escaped(caption)
        << " · address across, time down, darker = more of the slice live</text>\n";

    out << "<g id=\"timeline\" transform=\"translate(" << margin << ',' << timeline_top << ")\">\n"
        << "<rect width=\"" << options_.columns << "\" height=\"" << timeline_height << "\" fill=\"none\" stroke=\"#ccc\"/>\n";
    for (std::size_t row = 0; row < rows_.size(); ++row) {
        for (const shade_run& r : rows_[row]) {
            out << "<rect x=\"" << r.first_column << "\" y=\"" << row * options_.row_pixels << "\" width=\"" << r.columns
                << "\" height=\"" << options_.row_pixels << "\" fill=\"" << shade_colours[r.shade] << "\"/>\n";
        }
    }
    out << "</g>\n";

    out << "<text x=\"" << margin << "\" y=\"" << final_top - 8 << "\">final state</text>\n"
        << "<g id=\"final\" transform=\"translate(" << margin << ',' << final_top << ")\">\n"
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

    const std::size_t labels_y = final_top + final_pixels + 15;
    out << "<text x=\"" << margin << "\" y=\"" << labels_y << "\">0</text>\n"
        << "<text x=\"" << margin + options_.columns << "\" y=\"" << labels_y << "\" text-anchor=\"end\">" << extent_
        << " units</text>\n"
        << "</svg>\n";
}

}  // namespace heapkit::trace
