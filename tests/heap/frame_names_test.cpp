// SPDX-License-Identifier: MIT
// os::describe_frame and elf_image::function_at: a static function of this program (in .symtab
// only: the program exports nothing) is named, with the file and line of the call; a frame in libc
// is named by its symbols; an address in no module is written as a number.
#include <dlfcn.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "heapkit/heap/detail/elf_image.hpp"
#include "heapkit/heap/detail/os.hpp"

namespace heapkit {
namespace {

[[gnu::noinline]] std::string name_of_my_caller() {
    std::string text = os::describe_frame(__builtin_return_address(0));
    asm volatile("" ::: "memory");  // not a tail call: the return address stays this frame's
    return text;
}

struct named_call {
    std::string text;
    int line;
};

[[gnu::noinline]] named_call a_static_function_that_calls() {
    named_call call{name_of_my_caller(), __LINE__};
    asm volatile("" ::: "memory");
    return call;
}

TEST(FrameNames, NamesAStaticFunctionAndTheLineOfItsCall) {
    const named_call call = a_static_function_that_calls();
    EXPECT_TRUE(call.text.starts_with("heapkit::(anonymous namespace)::a_static_function_that_calls()+0x")) << call.text;
    EXPECT_TRUE(call.text.ends_with("frame_names_test.cpp:" + std::to_string(call.line))) << call.text;
    EXPECT_NE(call.text.find(" at /"), std::string::npos) << call.text;  // the table's directory joined
}

TEST(FrameNames, NamesLibcByItsSymbols) {
    // As a return address: one byte into the function, so that the call it follows is abort's.
    const std::string text = os::describe_frame(reinterpret_cast<const char*>(&std::abort) + 1);
    EXPECT_TRUE(text.starts_with("abort+0x1 (")) << text;
    EXPECT_NE(text.find("libc.so"), std::string::npos) << text;
}

TEST(FrameNames, WritesAnAddressOutsideEveryModuleAsANumber) {
    EXPECT_EQ(os::describe_frame(reinterpret_cast<const void*>(0x10)), "0x10");
}

// A library replaced on disk after it was loaded (as a package upgrade does): its file's build ID
// is no longer the loaded one's, so the frame is named by the loaded module's exports alone.
TEST(FrameNames, IgnoresAModuleFileReplacedSinceItWasLoaded) {
    const std::filesystem::path loaded =
        std::filesystem::temp_directory_path() / ("heapkit_replaced_" + std::to_string(::getpid()) + ".so");
    const std::filesystem::path replacement = loaded.string() + ".new";
    std::filesystem::copy_file(HEAPKIT_FIXTURE_DWARF5, loaded, std::filesystem::copy_options::overwrite_existing);
    void* library = ::dlopen(loaded.c_str(), RTLD_NOW | RTLD_LOCAL);
    ASSERT_NE(library, nullptr) << ::dlerror();
    const void* function = ::dlsym(library, "_ZN15heapkit_fixture14sum_of_squaresEi");
    ASSERT_NE(function, nullptr);
    // The same code at the same addresses, named otherwise: read from it, the frame would say
    // heapkit_renamed_fixture::sum_of_squares.
    std::filesystem::copy_file(HEAPKIT_FIXTURE_RENAMED, replacement, std::filesystem::copy_options::overwrite_existing);
    std::filesystem::rename(replacement, loaded);  // a new file at the path; the loaded one lives on
    const std::string after = os::describe_frame(static_cast<const char*>(function) + 1);
    ::dlclose(library);
    std::filesystem::remove(loaded);
    EXPECT_TRUE(after.starts_with("heapkit_fixture::sum_of_squares(int)+0x1 (")) << after;
    EXPECT_EQ(after.find(" at "), std::string::npos) << after;  // nor a line from the other file's table
}

// A stripped library (only its exported symbols left) whose debug file, found by .gnu_debuglink
// beside it, holds the full symbol table and a compressed line table: the hidden function is named
// from the debug file, without a line (its table is compressed).
TEST(FrameNames, NamesAStrippedLibrarysFunctionFromItsDebugFile) {
    void* library = ::dlopen(HEAPKIT_FIXTURE_STRIPPED, RTLD_NOW | RTLD_LOCAL);
    ASSERT_NE(library, nullptr) << ::dlerror();
    const auto address_of = reinterpret_cast<void* (*)()>(::dlsym(library, "heapkit_fixture_hidden_function"));
    ASSERT_NE(address_of, nullptr);
    const std::string text = os::describe_frame(static_cast<const char*>(address_of()) + 1);
    ::dlclose(library);
    EXPECT_TRUE(text.starts_with("heapkit_fixture::hidden_twice(int)+0x1 (")) << text;
    EXPECT_EQ(text.find(" at "), std::string::npos) << text;
}

TEST(ElfImage, FindsTheFunctionThatCoversAnAddress) {
    const os::mapped_file file("/proc/self/exe");
    const os::elf_image image(file.bytes());
    ASSERT_TRUE(image.valid());
    EXPECT_FALSE(image.section(".symtab").empty());
    EXPECT_FALSE(image.build_id().empty());  // Debian's linker writes one by default
    // The first function symbol: its start, its last byte and just past it.
    os::function_symbol_view sized;
    image.for_each_function([&](const os::function_symbol_view& symbol) {
        if (sized.name == nullptr && symbol.size > 16) sized = symbol;
    });
    ASSERT_NE(sized.name, nullptr);
    EXPECT_EQ(image.function_at(sized.start).start, sized.start);
    EXPECT_EQ(image.function_at(sized.start + sized.size - 1).start, sized.start);
    const os::function_symbol_view after = image.function_at(sized.start + sized.size);
    EXPECT_TRUE(after.name == nullptr || after.start >= sized.start + sized.size);
    EXPECT_EQ(image.function_at(0).name, nullptr);
}

TEST(ElfImage, RefusesWhatIsNotAnElfFile) {
    const unsigned char text[] = "not an ELF file at all, just some text that is long enough to be a header of one";
    EXPECT_FALSE(os::elf_image(text).valid());
    const os::mapped_file file("/proc/self/exe");
    EXPECT_FALSE(os::elf_image(file.bytes().first(200)).valid());  // the section table is cut off
    const os::mapped_file missing("/nonexistent/heapkit");
    EXPECT_TRUE(missing.bytes().empty());
    EXPECT_TRUE(os::elf_image(missing.bytes()).section(".text").empty());
}

}  // namespace
}  // namespace heapkit
