// SPDX-License-Identifier: MIT
// The index registry: every name reaches its allocator type, takes_fit is the index type's own
// property, unknown names are refused, and the texts derived for help and errors list every entry.
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <variant>

#include "heapkit/offset/index_registry.hpp"

namespace heapkit {
namespace {

TEST(IndexRegistry, EveryNameReachesAnAllocatorThatPlacesAsTheTableSays) {
    std::set<std::string_view> seen;
    for (const index_facts& facts : index_table) {
        EXPECT_TRUE(seen.insert(facts.name).second) << facts.name << " is registered twice";
        EXPECT_FALSE(facts.summary.empty()) << facts.name;
        const bool places_by_fit = with_index_named(facts.name, [](auto type) { return decltype(type)::type::places_by_fit; });
        EXPECT_EQ(places_by_fit, facts.takes_fit) << facts.name;
        EXPECT_EQ(index_takes_fit(facts.name), facts.takes_fit) << facts.name;
        EXPECT_EQ(index_names[index_position(facts.name)], facts.name);
    }
    EXPECT_EQ(std::variant_size_v<any_index_allocator>, index_count);
}

TEST(IndexRegistry, TheSeedsFitsApplyToListAndTreeOnly) {
    EXPECT_TRUE(index_takes_fit("list"));
    EXPECT_TRUE(index_takes_fit("tree"));
    EXPECT_FALSE(index_takes_fit("tlsf"));
    EXPECT_FALSE(index_takes_fit("buddy"));
    EXPECT_TRUE(index_accepts_fit("tlsf", Fit::first));
    EXPECT_FALSE(index_accepts_fit("buddy", Fit::best));
    EXPECT_TRUE(index_accepts_fit("tree", Fit::worst));
}

TEST(IndexRegistry, UnknownNamesAreRefusedWithTheNamesThatExist) {
    EXPECT_EQ(index_position("heap"), index_count);
    EXPECT_FALSE(index_takes_fit("heap"));
    try {
        with_index_named("heap", [](auto) { return 0; });
        FAIL() << "an unknown name was accepted";
    } catch (const std::invalid_argument& failure) {
        EXPECT_EQ(std::string(failure.what()), "unknown index 'heap': expected list, tree, tlsf, buddy or ring");
    }
}

TEST(IndexRegistry, TextsListEveryEntryAsASentence) {
    EXPECT_EQ(index_names_text(), "list, tree, tlsf, buddy or ring");
    EXPECT_EQ(fit_index_names_text("'"), "'list' or 'tree'");
    EXPECT_EQ(sentence_list(std::vector<std::string>{"one"}), "one");
}

TEST(IndexRegistry, TheVisitedAllocatorWorks) {
    for (const std::string_view name : index_names) {
        const Offset address = with_index_named(name, [](auto type) {
            typename decltype(type)::type allocator(64);
            return allocator.allocate(8);
        });
        EXPECT_EQ(address, 0u) << name;
    }
}

}  // namespace
}  // namespace heapkit
