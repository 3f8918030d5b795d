// SPDX-License-Identifier: MIT
// detail::site_table: a site is found again by its location and stack, whatever the address of
// its strings, and stays apart from every other, through the growth of its index.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "heapkit/heap/detail/site_table.hpp"

namespace heapkit {
namespace {

TEST(SiteTable, FindsEverySiteAgainAndKeepsSitesApart) {
    detail::site_table table(0, os::stack_walk::frame_pointers);  // sites are their locations alone
    constexpr unsigned sites = 5000;                              // the index grows from 64 cells, seven times
    std::vector<std::uint32_t> ids;
    for (unsigned line = 1; line <= sites; ++line) {
        ids.push_back(table.intern({"alpha.cpp", "work", line}));
        if (line % 500 == 0) table.validate();
    }
    for (unsigned line = 1; line <= sites; ++line) {
        EXPECT_EQ(table.intern({"alpha.cpp", "work", line}), ids[line - 1]) << "line " << line;
        EXPECT_EQ(table.site(ids[line - 1]).location.line, line);
    }
    std::vector<bool> seen(sites, false);
    for (const std::uint32_t id : ids) {
        ASSERT_LT(id, sites);
        EXPECT_FALSE(seen[id]) << "two lines share site " << id;
        seen[id] = true;
    }
    EXPECT_NE(table.intern({"beta.cpp", "work", 1}), ids[0]);   // another file
    EXPECT_NE(table.intern({"alpha.cpp", "rest", 1}), ids[0]);  // another function
    table.validate();
}

TEST(SiteTable, StringsOfTheSameTextAreTheSameSite) {
    detail::site_table table(0, os::stack_walk::frame_pointers);
    const std::uint32_t id = table.intern({"gamma.cpp", "run", 42});
    const std::string file = "gamma.cpp", function = "run";  // the same text at other addresses
    EXPECT_EQ(table.intern({file.c_str(), function.c_str(), 42}), id);
}

[[gnu::noinline]] std::uint32_t intern_here(detail::site_table& table) { return table.intern({"delta.cpp", "f", 7}); }
[[gnu::noinline]] std::uint32_t intern_through(detail::site_table& table) {
    const std::uint32_t id = intern_here(table);
    __asm__ volatile("" ::: "memory");  // not a tail call: this frame stays on the stack
    return id;
}

TEST(SiteTable, OneLocationReachedByTwoStacksIsTwoSites) {
    detail::site_table table(8, os::stack_walk::unwind_tables);
    std::uint32_t direct[2] = {};
    const volatile int calls = 2;  // a loop the compiler cannot unroll: one call, one return address
    for (int call = 0; call < calls; ++call) direct[call] = intern_here(table);
    EXPECT_EQ(direct[1], direct[0]);
    EXPECT_NE(intern_through(table), direct[0]);
    EXPECT_FALSE(table.site(direct[0]).frames.empty());
    table.validate();
}

}  // namespace
}  // namespace heapkit
