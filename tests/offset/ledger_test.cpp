// SPDX-License-Identifier: MIT
// The facade's ledger against std::unordered_map: random inserts, finds and erases with
// consecutive and widely spread addresses, validate() after every step.
#include "heapkit/offset/detail/ledger.hpp"

#include <gtest/gtest.h>

#include <random>
#include <unordered_map>
#include <vector>

#include "../test_seed.hpp"

namespace heapkit {
namespace {

TEST(Ledger, MatchesAnUnorderedMap) {
    const std::uint64_t seed = test::test_seed("Ledger.MatchesAnUnorderedMap");
    std::mt19937_64 random(seed);
    detail::ledger<std::uint32_t> ledger;
    std::unordered_map<Offset, Size> model;
    std::vector<Offset> keys;
    const std::size_t operations = test::test_operations(200000);
    for (std::size_t step = 0; step < operations; ++step) {
        const bool spread = random() % 2 == 0;
        const Offset address = spread ? random() : random() % 4096;  // dense keys collide in runs
        if (random() % 3 != 0 && !model.contains(address)) {
            const Size size = 1 + random() % 100;
            detail::ledger<std::uint32_t>::entry& entry =
                ledger.insert({address, size, 0, static_cast<std::uint32_t>(step), false});
            ASSERT_EQ(entry.address, address);
            model[address] = size;
            keys.push_back(address);
        } else if (!keys.empty()) {
            const std::size_t pick = random() % keys.size();
            const Offset gone = keys[pick];
            keys[pick] = keys.back();
            keys.pop_back();
            auto* entry = ledger.find(gone);
            ASSERT_NE(entry, nullptr) << "step " << step;
            ASSERT_EQ(entry->size, model[gone]);
            ledger.erase(entry);
            model.erase(gone);
            ASSERT_EQ(ledger.find(gone), nullptr);
        }
        ASSERT_EQ(ledger.size(), model.size());
        if (step % 97 == 0) {
            ASSERT_NO_THROW(ledger.validate()) << "step " << step;
            for (const auto& [key, size] : model) ASSERT_EQ(ledger.find(key)->size, size);
        }
    }
    ledger.validate();
}

}  // namespace
}  // namespace heapkit
