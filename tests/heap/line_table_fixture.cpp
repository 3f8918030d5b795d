// SPDX-License-Identifier: MIT
// Code for line_table_test to read the line tables of: built into shared libraries with each
// kind of DWARF line table (versions 2, 4 and 5; 64-bit DWARF), never loaded. Inlined library
// code (sort, vector, string) gives the tables many files and directories. frame_names_test
// loads one and replaces its file with a copy built with another namespace name, and a stripped
// one whose full symbol table lies in a separate debug file.
#include <algorithm>
#include <numeric>
#include <string>
#include <vector>

#ifndef HEAPKIT_FIXTURE_NAMESPACE
#define HEAPKIT_FIXTURE_NAMESPACE heapkit_fixture
#endif

namespace HEAPKIT_FIXTURE_NAMESPACE {

int sum_of_squares(int count) {
    int sum = 0;
    for (int i = 0; i < count; ++i) sum += i * i;
    return sum;
}

std::vector<int> sorted_descending(std::vector<int> values) {
    std::sort(values.begin(), values.end(), [](int a, int b) { return a > b; });
    return values;
}

std::string joined_words(const std::vector<std::string>& words) {
    std::string text;
    for (const std::string& word : words) {
        if (!text.empty()) text += ' ';
        text += word;
    }
    return text;
}

long accumulate_halves(const std::vector<long>& values) {
    return std::accumulate(values.begin(), values.end(), 0L, [](long total, long value) { return total + value / 2; });
}

// A function only the full symbol table names (hidden: not among the exported symbols), and a
// way to find it.
[[gnu::noinline, gnu::visibility("hidden")]] int hidden_twice(int value) { return value * 2 + sum_of_squares(value); }

}  // namespace HEAPKIT_FIXTURE_NAMESPACE

extern "C" void* heapkit_fixture_hidden_function() { return reinterpret_cast<void*>(&HEAPKIT_FIXTURE_NAMESPACE::hidden_twice); }
