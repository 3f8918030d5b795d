// SPDX-License-Identifier: MIT
// allocation_ledger (and the address_table inside it) against a model: random adds, removes,
// moves and lookups by handle and by address, with dense and widely spread addresses, the address
// index built midway, validate() as it goes, and records scrambled before they are removed or
// replaced (the ledger is told their addresses). Then handles that must be refused.
#include "heapkit/offset/detail/allocation_ledger.hpp"

#include <gtest/gtest.h>

#include <random>
#include <unordered_map>
#include <vector>

#include "../test_seed.hpp"

namespace heapkit {
namespace {

// What a facade whose index cannot name blocks keeps: the address, and a value standing for the rest.
struct located {
    Offset address;
    std::uint32_t value;
};
using ledger = detail::allocation_ledger<located>;

// Where the slots of `book` start, as the facade tells the ledger.
auto addresses_in(const ledger& book) {
    return [&book](ledger::slot_number at) { return book[at].record.address; };
}

// What a record reads after the index let its block go (tlsf recycles the node): remove and
// replace must not need it.
constexpr Offset released = 0xDEAD'0000'0000'0000;

struct modelled {
    std::uint64_t handle;
    std::uint32_t record;
};

TEST(AllocationLedger, MatchesAModel) {
    const std::uint64_t seed = test::test_seed("AllocationLedger.MatchesAModel");
    std::mt19937_64 random(seed);
    ledger book;
    std::unordered_map<Offset, modelled> model;  // live allocations by address
    std::vector<Offset> addresses;               // the model's keys, to pick from
    std::vector<std::uint64_t> dead;             // handles of removed allocations
    const std::size_t operations = test::test_operations(200000);
    const std::size_t index_from = operations / 4;  // lookups by handle only until then
    auto fresh_address = [&] {
        for (;;) {
            const Offset address = random() % 2 == 0 ? random() % 8192 : random() % ~Offset{0};  // dense ones collide
            if (!model.contains(address)) return address;
        }
    };
    std::size_t picked = 0;  // where in addresses the last pick() was
    auto pick = [&] {
        picked = random() % addresses.size();
        return model.find(addresses[picked]);
    };
    auto drop = [&](Offset address) {  // the last picked one
        model.erase(address);
        addresses[picked] = addresses.back();
        addresses.pop_back();
    };
    auto keep = [&](Offset address, const modelled& known) {
        model[address] = known;
        addresses.push_back(address);
    };
    for (std::size_t step = 0; step < operations; ++step) {
        const unsigned action = static_cast<unsigned>(random() % 8);
        if (model.empty() || action < 3) {
            const Offset address = fresh_address();
            const auto record = static_cast<std::uint32_t>(random());
            const ledger::slot_number at = book.add(address, {address, record});
            keep(address, {book.handle_of(at), record});
        } else if (action < 5) {
            const auto gone = pick();
            const ledger::slot_number at = step >= index_from && random() % 2 == 0
                                               ? book.at_address(gone->first, addresses_in(book))
                                               : book.slot_of(gone->second.handle);
            ASSERT_NE(at, ledger::none) << "step " << step;
            ASSERT_EQ(book[at].record.value, gone->second.record);
            book[at].record.address = released;
            book.remove(at, gone->first);
            dead.push_back(gone->second.handle);
            drop(gone->first);
        } else if (action == 5) {  // readdress: the allocation moves, its handle stays
            const auto moving = pick();
            const Offset to = fresh_address();
            const modelled kept = moving->second;
            const ledger::slot_number at = book.slot_of(kept.handle);
            book.readdress(at, moving->first, to);
            book[at].record.address = to;
            drop(moving->first);
            keep(to, kept);
        } else if (action == 6 && model.size() >= 2) {  // replace: a moved copy takes the old slot
            const auto old = pick();
            const Offset to = fresh_address();
            const auto record = static_cast<std::uint32_t>(random());
            const ledger::slot_number copy = book.add(to, {to, record});
            const modelled kept = old->second;
            book[book.slot_of(kept.handle)].record.address = released;
            book.replace(book.slot_of(kept.handle), old->first, copy, to);
            drop(old->first);
            keep(to, {kept.handle, record});
        } else {
            const auto probe = pick();
            const ledger::slot_number by_handle = book.slot_of(probe->second.handle);
            ASSERT_NE(by_handle, ledger::none);
            ASSERT_EQ(book[by_handle].record.address, probe->first);
            const ledger& view = book;
            if (step % 16 == 0) {
                ASSERT_EQ(view.at_address(probe->first, addresses_in(book)), by_handle);  // O(n) scan until the index exists
            }
            if (step >= index_from) {
                ASSERT_EQ(book.at_address(probe->first, addresses_in(book)), by_handle);
            }
            if (!dead.empty()) {
                ASSERT_EQ(book.slot_of(dead[random() % dead.size()]), ledger::none) << "step " << step;
            }
        }
        ASSERT_EQ(book.size(), model.size());
        if (step % 61 == 0) {
            ASSERT_NO_THROW(book.validate(addresses_in(book))) << "step " << step;
        }
    }
    book.validate(addresses_in(book));
    for (const auto& [address, known] : model) {
        ASSERT_EQ(book[book.slot_of(known.handle)].record.address, address);
        ASSERT_EQ(book.at_address(address, addresses_in(book)), book.slot_of(known.handle));
    }
}

TEST(AllocationLedger, RefusesHandlesThatNameNothingLive) {
    ledger book;
    ledger other;
    const ledger::slot_number at = book.add(40, {40, 7});
    const std::uint64_t live = book.handle_of(at);
    const std::uint64_t foreign = other.handle_of(other.add(40, {40, 7}));
    EXPECT_EQ(book.slot_of(live), at);
    EXPECT_EQ(book.slot_of(foreign), ledger::none);                          // another ledger's, same slot and generation
    EXPECT_EQ(book.slot_of(live + 1), ledger::none);                         // a slot that does not exist
    EXPECT_EQ(book.slot_of(live ^ (std::uint64_t{2} << 32)), ledger::none);  // a generation never given
    EXPECT_EQ(book.slot_of(~std::uint64_t{0}), ledger::none);
    book.remove(at, 40);
    EXPECT_EQ(book.slot_of(live), ledger::none);  // freed
    const ledger::slot_number again = book.add(80, {80, 9});
    EXPECT_EQ(again, at);                         // the slot is reused...
    EXPECT_EQ(book.slot_of(live), ledger::none);  // ...with a new generation
    EXPECT_NE(book.handle_of(again), live);
    book.validate(addresses_in(book));
}

}  // namespace
}  // namespace heapkit
