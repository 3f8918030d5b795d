// SPDX-License-Identifier: MIT
// symbolize_profile: a frame in this very test binary gets its function from the symbol table
// and its file and line from the DWARF line table (the tests build with -g), the line in the
// function itself when the call sits in code inlined into it; frames already
// named, frames without a module and modules that cannot be read are left as they are.
#include <dlfcn.h>
#include <link.h>

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "heapkit/trace/profile.hpp"

namespace heapkit::trace {
namespace {

__attribute__((noinline)) void* return_address() { return __builtin_return_address(0); }
// Code inlined into its caller: the frame's line must be the caller's, where this was called.
__attribute__((always_inline)) inline void* inlined_return_address() {
    void* const address = return_address();
    return address;
}

// A profile of one frame at `address` in this test binary, as the profile writer records one.
profile profile_of(void* address) {
    dl_find_object found{};
    EXPECT_EQ(::_dl_find_object(address, &found), 0);
    profile recording;
    recording.modules.push_back("/proc/self/exe");
    const auto base = found.dlfo_link_map != nullptr ? found.dlfo_link_map->l_addr : 0;
    recording.frames.push_back({1, reinterpret_cast<std::uintptr_t>(address) - base, "", "", 0});
    return recording;
}

TEST(SymbolizeProfile, NamesTheFunctionFileAndLineOfACall) {
    void* const address = return_address();
    const int call_line = __LINE__ - 1;
    profile recording = profile_of(address);
    symbolize_profile(recording);
    const code_location& frame = recording.frames[0];
    EXPECT_NE(frame.function.find("NamesTheFunctionFileAndLineOfACall"), std::string::npos) << frame.function;
    EXPECT_TRUE(frame.file.ends_with("symbolize_test.cpp")) << frame.file;
    EXPECT_EQ(frame.line, static_cast<std::uint32_t>(call_line));
    EXPECT_EQ(recording.frame_text(0), frame.function + " (" + frame.file + ":" + std::to_string(call_line) + ")");
}

TEST(SymbolizeProfile, GivesCodeInlinedIntoAFunctionTheLineOfTheInlinedCall) {
    void* const address = inlined_return_address();
    const int call_line = __LINE__ - 1;
    profile recording = profile_of(address);
    symbolize_profile(recording);
    const code_location& frame = recording.frames[0];
    EXPECT_NE(frame.function.find("GivesCodeInlinedIntoAFunctionTheLineOfTheInlinedCall"), std::string::npos) << frame.function;
    EXPECT_TRUE(frame.file.ends_with("symbolize_test.cpp")) << frame.file;
    EXPECT_EQ(frame.line, static_cast<std::uint32_t>(call_line));
}

TEST(SymbolizeProfile, LeavesKnownFramesAndUnreadableModulesAlone) {
    profile recording = profile_of(return_address());
    recording.frames[0].function = "given";
    recording.frames[0].file = "given.c";
    recording.frames[0].line = 7;
    recording.modules.push_back("/nonexistent/module.so");
    recording.frames.push_back({2, 0x1234, "", "", 0});
    recording.frames.push_back({0, 0x5678, "", "", 0});
    symbolize_profile(recording);
    EXPECT_EQ(recording.frames[0].function, "given");
    EXPECT_EQ(recording.frames[0].file, "given.c");
    EXPECT_EQ(recording.frames[0].line, 7U);
    for (const std::size_t i : {std::size_t{1}, std::size_t{2}}) {
        EXPECT_TRUE(recording.frames[i].function.empty());
        EXPECT_TRUE(recording.frames[i].file.empty());
    }
    EXPECT_EQ(recording.frame_text(1), "module.so+0x1234");
    EXPECT_EQ(recording.frame_text(2), "?+0x5678");
}

}  // namespace
}  // namespace heapkit::trace
