// SPDX-License-Identifier: MIT
// offset_map against std::unordered_map: random inserts, finds and erases with consecutive and
// widely spread keys, validate() as it goes.
#include "heapkit/offset/detail/offset_map.hpp"

#include <gtest/gtest.h>

#include <random>
#include <unordered_map>
#include <vector>

#include "../test_seed.hpp"

namespace heapkit {
namespace {

TEST(OffsetMap, MatchesAnUnorderedMap) {
    const std::uint64_t seed = test::test_seed("OffsetMap.MatchesAnUnorderedMap");
    std::mt19937_64 random(seed);
    detail::offset_map<Size> map;
    std::unordered_map<Offset, Size> model;
    std::vector<Offset> keys;
    const std::size_t operations = test::test_operations(200000);
    for (std::size_t step = 0; step < operations; ++step) {
        const bool spread = random() % 2 == 0;
        const Offset key = spread ? random() % detail::offset_map<Size>::empty_key : random() % 4096;  // dense keys collide
        if (random() % 3 != 0 && !model.contains(key)) {
            const Size value = random();
            ASSERT_EQ(map.insert(key, value).key, key);
            model[key] = value;
            keys.push_back(key);
        } else if (!keys.empty()) {
            const std::size_t pick = random() % keys.size();
            const Offset gone = keys[pick];
            keys[pick] = keys.back();
            keys.pop_back();
            auto* slot = map.find(gone);
            ASSERT_NE(slot, nullptr) << "step " << step;
            ASSERT_EQ(slot->value, model[gone]);
            map.erase(slot);
            model.erase(gone);
            ASSERT_EQ(map.find(gone), nullptr);
        }
        ASSERT_EQ(map.size(), model.size());
        if (step % 97 == 0) {
            ASSERT_NO_THROW(map.validate()) << "step " << step;
            for (const auto& [known, value] : model) ASSERT_EQ(map.find(known)->value, value);
        }
    }
    map.validate();
}

TEST(OffsetMap, ReserveMakesInsertsSafe) {
    detail::offset_map<int> map;
    map.reserve(1000);
    for (Offset key = 0; key < 1000; ++key) map.insert(key * 7, 1);
    EXPECT_EQ(map.size(), 1000u);
    map.validate();
}

}  // namespace
}  // namespace heapkit
