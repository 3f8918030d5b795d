// SPDX-License-Identifier: MIT
// How the checking modes (debug mode, guard pages) write their reports: one line where
// HEAPKIT_LOG says, else on the duplicate of stderr taken at start (the at-exit report may come
// after the program closed its stderr, as coreutils do), and a stack told as the frames that are
// not heapkit's own.
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace heapkit::malloc_layer {

// Writes `line` and a newline in one write(2).
void report_line(std::string_view line) noexcept;

// Up to three of `frames` that lie outside libheapkit_malloc.so, innermost first, each as
// os::describe_frame gives it, joined by " < "; "an unknown place" when none does.
std::string frames_outside_heapkit(std::span<const void* const> frames);

}  // namespace heapkit::malloc_layer
