// SPDX-License-Identifier: MIT
// Writing the profile report page: sections of tables and one inline SVG chart, styled inline.
#include "heapkit/trace/profile_html.hpp"

#include <algorithm>
#include <cstdio>
#include <functional>
#include <iterator>
#include <sstream>
#include <string_view>
#include <utility>

#include "heapkit/trace/page_text.hpp"

namespace heapkit::trace {
namespace {

constexpr const char* policy_colours[] = {"#e6550d", "#31a354", "#756bb1", "#636363", "#d6616b", "#8c6d31", "#17becf"};

// One line of a chart over time: (x, bytes) points.
struct chart_line {
    std::string name;
    std::string css_class;
    const char* colour;
    double stroke_width;
    std::vector<std::pair<double, double>> points;
};

// A chart of byte counts over time (seconds, or events when untimed): axes, one polyline per
// line with its name as a hover title and in the legend, and `peak` circled where given.
void write_chart(std::ostream& out, const char* id, const std::vector<chart_line>& lines, bool timed, double x_end,
                 const live_point* peak) {
    constexpr double width = 900, height = 260, left = 80, bottom = 30, top = 10, legend_row = 16;
    double y_end = 1.0;
    for (const chart_line& line : lines)
        for (const auto& [x, y] : line.points) y_end = std::max(y_end, y);
    x_end = std::max(1.0, x_end);
    const double plot_height = height - top - bottom;
    const auto x_of = [&](double x) { return left + (width - left - 10) * x / x_end; };
    const auto y_of = [&](double y) { return top + plot_height * (1.0 - y / y_end); };
    const double total_height = height + legend_row * static_cast<double>(lines.size()) + 6;
    out << "<svg id=\"" << id << "\" xmlns=\"http://www.w3.org/2000/svg\" width=\"" << width << "\" height=\"" << total_height
        << "\" font-family=\"sans-serif\" font-size=\"11\" stroke=\"none\">\n"
        << "<line x1=\"" << left << "\" y1=\"" << y_of(0) << "\" x2=\"" << width - 10 << "\" y2=\"" << y_of(0)
        << "\" stroke=\"#444\"/>\n<line x1=\"" << left << "\" y1=\"" << top << "\" x2=\"" << left << "\" y2=\"" << y_of(0)
        << "\" stroke=\"#444\"/>\n";
    for (int tick = 0; tick <= 4; ++tick) {
        const double fraction = tick / 4.0;
        const auto at = static_cast<std::uint64_t>(x_end * fraction);
        out << "<text x=\"" << left - 6 << "\" y=\"" << y_of(y_end * fraction) + 4 << "\" text-anchor=\"end\">"
            << bytes_text(static_cast<std::uint64_t>(y_end * fraction)) << "</text>\n"
            << "<text x=\"" << x_of(x_end * fraction) << "\" y=\"" << height - 12 << "\" text-anchor=\"middle\">"
            << (timed ? axis_time_text(at, static_cast<std::uint64_t>(x_end)) : std::to_string(at) + " events") << "</text>\n";
    }
    for (std::size_t index = 0; index < lines.size(); ++index) {
        const chart_line& line = lines[index];
        out << "<polyline class=\"" << line.css_class << "\" data-name=\"" << html_escaped(line.name)
            << "\" fill=\"none\" stroke=\"" << line.colour << "\" stroke-width=\"" << line.stroke_width << "\" points=\"";
        for (const auto& [x, y] : line.points) out << x_of(x) << ',' << y_of(y) << ' ';
        out << "\"><title>" << html_escaped(line.name) << "</title></polyline>\n";
        const double y = height + legend_row * static_cast<double>(index);
        out << "<rect x=\"" << left << "\" y=\"" << y - 5 << "\" width=\"18\" height=\"3\" fill=\"" << line.colour
            << "\"/><text x=\"" << left + 24 << "\" y=\"" << y << "\">" << html_escaped(line.name) << "</text>\n";
    }
    if (peak != nullptr) {
        const double x = x_of(static_cast<double>(timed ? peak->time_us : peak->event));
        const double y = y_of(static_cast<double>(peak->live));
        out << "<circle id=\"peak\" cx=\"" << x << "\" cy=\"" << y
            << "\" r=\"4\" fill=\"#cb181d\"><title>peak: " << bytes_text(peak->live) << " live after event " << peak->event
            << (timed ? " at " + seconds_text(peak->time_us) : "") << "</title></circle>\n"
            << "<text x=\"" << x + 6 << "\" y=\"" << y + 4 << "\" fill=\"#cb181d\">peak " << bytes_text(peak->live)
            << "</text>\n";
    }
    out << "</svg>\n";
}

// A summary's live bytes over time as chart points (x in microseconds, or events).
std::vector<std::pair<double, double>> live_points(const profile_summary& summary, bool timed) {
    std::vector<std::pair<double, double>> points;
    for (const live_point& point : summary.timeline)
        points.emplace_back(static_cast<double>(timed ? point.time_us : point.event), static_cast<double>(point.live));
    return points;
}

// Live bytes over time with each policy's footprint, the peak marked; then each policy's largest
// hole below its footprint.
void write_timelines(std::ostream& out, const report_page& page, bool timed) {
    const profile& recording = *page.recording;
    const profile_summary& summary = *page.summary;
    const auto x_at = [&](std::size_t event) {
        if (!timed) return static_cast<double>(event);
        return event == 0 ? 0.0 : static_cast<double>(recording.context[event - 1].time_us);
    };
    std::vector<chart_line> live{{"live bytes", "live", "#2171b5", 2.0, live_points(summary, timed)}};
    std::vector<chart_line> holes;
    for (std::size_t index = 0; index < page.policies.size(); ++index) {
        const policy_result& row = page.policies[index];
        const char* colour = policy_colours[index % std::size(policy_colours)];
        chart_line footprint{"footprint under " + row.policy, "footprint", colour, 1.0, {}};
        chart_line hole{"largest hole under " + row.policy, "largest-hole", colour, 1.0, {}};
        for (const footprint_point& moment : row.metrics.moments) {
            footprint.points.emplace_back(x_at(moment.event), static_cast<double>(moment.footprint));
            hole.points.emplace_back(x_at(moment.event), static_cast<double>(moment.largest_hole));
        }
        live.push_back(std::move(footprint));
        holes.push_back(std::move(hole));
    }
    const double x_end = x_at(recording.sizes.events.size());
    const live_point peak{summary.peak_event, summary.peak_time_us, summary.peak_live};
    out << "<h2>Live bytes and footprint over time</h2>\n";
    write_chart(out, "timeline", live, timed, x_end, &peak);
    if (holes.empty()) return;
    out << "<p class=\"note\">Each point is the most reached since the point before. The <i>footprint</i> of a policy "
           "is the highest end of a block it placed: the address space the recording's sizes need under that "
           "policy.</p>\n<h2>Largest free block below the footprint over time</h2>\n";
    write_chart(out, "largest-free", holes, timed, x_end, nullptr);
    out << "<p class=\"note\">The largest request each policy could place without raising its footprint, at each "
           "point.</p>\n";
}

// An icicle graph of the stacks (callers on top, callees below, each frame as wide as the
// `weight` of the sites under it), frames narrower than a pixel left out, 48 levels at most.
template <class Weight>
void write_flame_graph(std::ostream& out, const profile& recording, const profile_summary& summary, const char* id,
                       const char* heading, const char* unit, Weight weight) {
    std::vector<double> total(recording.nodes.size(), 0.0);
    for (const site_totals& site : summary.sites) total[site.node] += static_cast<double>(weight(site));
    for (std::size_t node = recording.nodes.size(); node-- > 1;)
        total[recording.nodes[node].parent] += total[node];  // parents come first
    if (total[0] <= 0) return;
    std::vector<std::vector<std::uint32_t>> children(recording.nodes.size());
    for (std::uint32_t node = 1; node < recording.nodes.size(); ++node)
        if (total[node] > 0) children[recording.nodes[node].parent].push_back(node);
    constexpr double width = 1200, row = 17;
    constexpr std::size_t max_depth = 48;
    const double scale = width / total[0];
    std::ostringstream rects;
    std::size_t deepest = 0;
    struct pending {
        std::uint32_t node;
        double x;
        std::size_t depth;
    };
    std::vector<pending> stack{{0, 0.0, 0}};
    while (!stack.empty()) {
        const pending next = stack.back();
        stack.pop_back();
        const double w = total[next.node] * scale;
        if (w < 1.0 || next.depth > max_depth) continue;
        if (next.node != 0) {
            deepest = std::max(deepest, next.depth);
            const std::string name = recording.frame_text(recording.nodes[next.node].frame);
            const unsigned hue = static_cast<unsigned>(std::hash<std::string>{}(name) % 40);
            rects << "<g><title>" << html_escaped(name) << ": " << static_cast<std::uint64_t>(total[next.node]) << ' ' << unit
                  << "</title><rect x=\"" << next.x << "\" y=\"" << static_cast<double>(next.depth - 1) * row << "\" width=\""
                  << w << "\" height=\"" << row - 1 << "\" fill=\"hsl(" << 10 + hue << ",80%,60%)\"/>";
            const auto fits = static_cast<std::size_t>(w / 7);
            if (fits >= 4)
                rects << "<text x=\"" << next.x + 3 << "\" y=\"" << static_cast<double>(next.depth - 1) * row + 12 << "\">"
                      << html_escaped(name.size() <= fits ? name : name.substr(0, fits - 2) + "..") << "</text>";
            rects << "</g>\n";
        }
        double x = next.x;
        for (const std::uint32_t child : children[next.node]) {
            stack.push_back({child, x, next.depth + 1});
            x += total[child] * scale;
        }
    }
    out << "<h2>" << heading << "</h2>\n<svg id=\"" << id << "\" xmlns=\"http://www.w3.org/2000/svg\" width=\"" << width
        << "\" height=\"" << static_cast<double>(deepest) * row
        << "\" font-family=\"monospace\" font-size=\"11\" stroke=\"none\">\n"
        << rects.str() << "</svg>\n";
}

template <class Key>
void write_site_table(std::ostream& out, const profile& recording, const profile_summary& summary, const char* id,
                      const char* heading, Key key) {
    out << "<h2>" << heading << "</h2>\n<table id=\"" << id
        << "\">\n<tr><th>at the peak</th><th>own peak</th><th>allocations</th>"
        << "<th>temporary</th><th>leaked</th><th>site (innermost frame first)</th></tr>\n";
    for (const site_totals& site : summary.top(key, 20)) {
        out << "<tr><td>" << bytes_text(site.live_at_peak) << "</td><td>" << bytes_text(site.own_peak) << "</td><td>"
            << site.allocations << "</td><td>" << site.temporary << "</td><td>" << bytes_text(site.leaked_bytes)
            << "</td><td class=\"site\" title=\"" << html_escaped(site_text(recording, site.node, 64)) << "\">"
            << html_escaped(site_text(recording, site.node)) << "</td></tr>\n";
    }
    out << "</table>\n";
}

// The page's head and style, and its heading.
void write_page_start(std::ostream& out, const std::string& title) {
    out << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>" << html_escaped(title)
        << "</title>\n<style>\nbody{font-family:sans-serif;margin:2em;color:#222}\ntable{border-collapse:collapse;margin:0.5em "
           "0}\n"
        << "td,th{border:1px solid #ccc;padding:2px 8px;text-align:right}\ntd.site,th:last-child{text-align:left;"
        << "font-family:monospace}\n.note{color:#555;max-width:60em}\n</style>\n</head>\n<body>\n<h1>" << html_escaped(title)
        << "</h1>\n";
}

}  // namespace

void write_profile_html(std::ostream& out, const report_page& page) {
    const profile& recording = *page.recording;
    const profile_summary& summary = *page.summary;
    const bool timed = recording.seconds() > 0;
    write_page_start(out, page.title);
    out << "<p id=\"totals\">" << html_escaped(recording.format)
        << (recording.command.empty() ? "" : " of <code>" + html_escaped(recording.command) + "</code>") << ": "
        << summary.allocations << " allocations, " << summary.frees << " frees, " << summary.resizes << " reallocs"
        << (timed ? " in " + seconds_text(recording.context.back().time_us) : "") << ", " << recording.threads
        << (recording.threads == 1 ? " thread" : " threads") << ". Peak live <b id=\"peak-bytes\">" << summary.peak_live
        << " bytes</b>" << (timed ? " at " + seconds_text(summary.peak_time_us) : "") << "; at the end " << summary.leaked_bytes
        << " bytes in " << summary.leaked_blocks << " blocks live; " << summary.temporary << " temporary allocations.";
    if (recording.sample_bytes != 0)
        out << " Sampled: one allocation per " << recording.sample_bytes << " bytes allocated; counts are of the sample.";
    out << "</p>\n";
    write_timelines(out, page, timed);
    write_site_table(out, recording, summary, "by-peak", "Top sites by bytes live at the peak",
                     [](const site_totals& s) { return s.live_at_peak; });
    write_site_table(out, recording, summary, "by-count", "Top sites by allocations",
                     [](const site_totals& s) { return s.allocations; });
    write_site_table(out, recording, summary, "by-leak", "Top sites by bytes leaked (live at the end)",
                     [](const site_totals& s) { return s.leaked_bytes; });
    write_site_table(out, recording, summary, "by-temporary", "Top sites by temporary allocations",
                     [](const site_totals& s) { return s.temporary; });
    write_flame_graph(out, recording, summary, "flame-peak", "Stacks by bytes live at the peak (callers on top)", "bytes",
                      [](const site_totals& s) { return s.live_at_peak; });
    write_flame_graph(out, recording, summary, "flame-count", "Stacks by allocations (callers on top)", "allocations",
                      [](const site_totals& s) { return s.allocations; });
    write_flame_graph(out, recording, summary, "flame-leak", "Stacks by bytes leaked (callers on top)", "bytes",
                      [](const site_totals& s) { return s.leaked_bytes; });
    out << "<p class=\"note\">A site is a whole call stack. <i>At the peak</i>: bytes the site held when the program's live "
           "bytes were highest; <i>own peak</i>: the most it held at any one time; <i>temporary</i>: allocations freed "
           "before any other allocation was made (heaptrack's definition); <i>leaked</i>: still live when the recording "
           "ended.</p>\n";
    if (!page.policies.empty()) {
        out << "<h2>Fragmentation by policy</h2>\n<table id=\"policies\">\n<tr><th>policy</th><th>peak live</th>"
            << "<th>peak footprint</th><th>JW #3</th><th>JW #4</th><th>fragmentation at peak</th></tr>\n";
        for (const policy_result& row : page.policies) {
            char figures[96];
            std::snprintf(figures, sizeof figures, "<td>%.3f</td><td>%.3f</td><td>%.3f</td>", row.metrics.measure_3(),
                          row.metrics.measure_4(), row.metrics.fragmentation_at_peak_live);
            out << "<tr class=\"policy\"><td>" << html_escaped(row.policy) << "</td><td>" << row.metrics.peak_live << "</td><td>"
                << row.metrics.peak_footprint << "</td>" << figures << "</tr>\n";
        }
        out << "</table>\n<p class=\"note\">Each policy replays the recording's sizes on an address range of its own. "
               "<i>Peak footprint</i>: the highest address any block reached. <i>JW #3</i> (Johnstone and Wilson's measure "
               "3): the footprint when live bytes peaked, divided by peak live; <i>JW #4</i>: peak footprint divided by "
               "peak live; 1.000 means no space lost. <i>Fragmentation at peak</i>: 1 - largest hole / free bytes below the "
               "footprint, at the peak.</p>\n";
    }
    if (!page.map_svg.empty()) {
        std::string_view svg = page.map_svg;
        if (svg.starts_with("<?xml")) svg.remove_prefix(std::min(svg.size(), svg.find('\n') + 1));
        out << "<h2>Memory map</h2>\n<div id=\"map\">\n" << svg << "</div>\n";
    }
    out << "</body>\n</html>\n";
}

void write_diff_html(std::ostream& out, const diff_page& page) {
    write_page_start(out, page.title);
    out << "<p id=\"compared\">" << html_escaped(page.compared) << ".</p>\n<h2>Live bytes over time</h2>\n";
    std::vector<chart_line> lines;
    bool timed = true;
    double x_end = 0;
    for (std::size_t index = 0; index < page.timelines.size(); ++index) {
        const named_timeline& timeline = page.timelines[index];
        timed = timed && timeline.timed;
        lines.push_back({timeline.name, "live", index == 0 ? "#9ecae1" : "#2171b5", 2.0, {}});
    }
    for (std::size_t index = 0; index < page.timelines.size(); ++index) {
        lines[index].points = live_points(*page.timelines[index].summary, timed);
        if (!lines[index].points.empty()) x_end = std::max(x_end, lines[index].points.back().first);
    }
    write_chart(out, "timeline", lines, timed, x_end, nullptr);
    std::uint64_t total = 0;
    for (const site_growth& row : page.grown) total += row.after - row.before;
    out << "<h2>Sites whose live bytes grew</h2>\n<p>" << page.grown.size() << (page.grown.size() == 1 ? " site" : " sites")
        << ", " << bytes_text(total) << " in all.</p>\n<table id=\"grown\">\n<tr><th>growth</th><th>before</th><th>after</th>"
        << "<th>site (innermost frame first)</th></tr>\n";
    for (const site_growth& row : page.grown) {
        out << "<tr class=\"grown\"><td data-bytes=\"" << row.after - row.before << "\">+" << bytes_text(row.after - row.before)
            << "</td><td>" << bytes_text(row.before) << "</td><td>" << bytes_text(row.after) << "</td><td class=\"site\">"
            << html_escaped(row.site) << "</td></tr>\n";
    }
    out << "</table>\n<p class=\"note\">Sites are matched by their innermost 8 frames as text (names where known, else "
           "module+offset), so two runs of one program compare even when its modules load elsewhere.</p>\n</body>\n"
           "</html>\n";
}

}  // namespace heapkit::trace
