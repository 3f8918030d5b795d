// SPDX-License-Identifier: MIT
// heapkit::detail::block_btree: free blocks in a B+ tree ordered by Order (by_start, or
// by_size_then_start), each inner node keeping, per child, the child's smallest entry (to route)
// and its largest size (to prune searches for a size). Nodes hold `fanout` items in arrays, so a
// search reads a few cache lines per level instead of one node per binary level: that is the
// point of it. insert, erase and replace_at are O(fanout * depth); every node but the root holds at
// least a quarter of `fanout` items (BP1: a node that falls below is merged with a neighbour or
// takes items from it), so the depth is at most 1 + log4(n); node storage is one vector with a
// spare chain, so a steady state allocates nothing.
//
// Layout of a node (both kinds share it, so that one vector holds them):
//   starts[i], sizes[i]   leaf: entry i in Order    inner: the smallest entry under child i
//   largest[i]            leaf: sizes[i]            inner: the largest size under child i
// (apart, not as free_block pairs, so that routing by start reads two cache lines, not four)
//   children[i]  inner: child i
//   previous_leaf / next_leaf: the leaf chain in Order (next_leaf also chains spare nodes)
//   parent       the inner node holding it (nil for the root): an update at a known position
//                climbs from its leaf instead of descending again
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <new>
#include <stdexcept>
#include <string>
#include <vector>

#include "heapkit/offset/units.hpp"

namespace heapkit::detail {

using link = std::uint32_t;  // a node's index in the node vector
inline constexpr link nil = 0xFFFFFFFFu;

// An Order says whether inner nodes keep the largest size under each child (what first_where and
// for_each_at_least prune by); the size order needs none: its largest entry is its last.
struct by_start {
    static constexpr bool keeps_largest = true;
    static bool less(const free_block& a, const free_block& b) noexcept { return a.start < b.start; }
};
struct by_size_then_start {
    static constexpr bool keeps_largest = false;
    static bool less(const free_block& a, const free_block& b) noexcept {
        return a.size < b.size || (a.size == b.size && a.start < b.start);
    }
};

template <class Order>
class block_btree {
public:
    static constexpr unsigned fanout = 16;             // may be tuned: items per node (a multiple of 4, at least 8)
    static constexpr unsigned min_items = fanout / 4;  // in every node but the root (BP1)
    static_assert(fanout % 4 == 0 && fanout >= 8);

    // An entry's place: leaf << 32 | slot. Valid until the next insert or erase.
    using position = std::uint64_t;
    static constexpr position end_position = ~position{0};

    struct bnode {
        std::array<Offset, fanout> starts;
        std::array<Size, fanout> sizes;
        std::array<Size, fanout> largest;
        std::array<link, fanout> children;
        link previous_leaf;
        link next_leaf;
        link parent;
        std::uint16_t count;  // items in use: 1..fanout while linked
        bool leaf;

        free_block block(unsigned slot) const noexcept { return {starts[slot], sizes[slot]}; }
    };

    std::size_t size() const noexcept { return count_; }
    // The largest size of all entries, 0 when empty. O(fanout).
    Size largest() const noexcept {
        if (root_ == nil) return 0;
        if constexpr (Order::keeps_largest) {
            return node_largest(nodes_[root_]);
        } else {
            return at(previous(end_position)).size;
        }
    }
    const std::vector<bnode>& nodes() const noexcept { return nodes_; }
    std::size_t metadata_bytes() const noexcept { return nodes_.capacity() * sizeof(bnode); }
    // Levels: 0 when empty, 1 when the root is a leaf; at most 1 + log4(size()) (BP1).
    std::size_t depth() const noexcept { return depth_; }

    static link leaf_of(position where) noexcept { return static_cast<link>(where >> 32); }
    static unsigned slot_of(position where) noexcept { return static_cast<unsigned>(where & 0xFFFFFFFFu); }
    static position make(link leaf, unsigned slot) noexcept { return position{leaf} << 32 | slot; }
    free_block at(position where) const noexcept { return nodes_[leaf_of(where)].block(slot_of(where)); }
    position first() const noexcept { return root_ == nil ? end_position : make(edge_leaf(false), 0); }
    static position next(const std::vector<bnode>& nodes, position where) noexcept {
        const bnode& leaf = nodes[leaf_of(where)];
        if (slot_of(where) + 1 < leaf.count) return where + 1;
        return leaf.next_leaf == nil ? end_position : make(leaf.next_leaf, 0);
    }
    position next(position where) const noexcept { return next(nodes_, where); }
    // The entry before `where`; before end_position, the last entry.
    position previous(position where) const noexcept {
        if (where == end_position) {
            if (root_ == nil) return end_position;
            const link last = edge_leaf(true);
            return make(last, nodes_[last].count - 1u);
        }
        if (slot_of(where) > 0) return where - 1;
        const link before = nodes_[leaf_of(where)].previous_leaf;
        return before == nil ? end_position : make(before, nodes_[before].count - 1u);
    }

    // The first entry not ordered before `key`, or end_position. O(fanout * depth).
    position lower_bound(const free_block& key) const noexcept {
        if (root_ == nil) return end_position;
        link at = root_;
        while (!nodes_[at].leaf) at = nodes_[at].children[route(nodes_[at], key)];
        const bnode& leaf = nodes_[at];
        const unsigned slot = count_before(leaf, key);
        if (slot < leaf.count) return make(at, slot);
        return leaf.next_leaf == nil ? end_position : make(leaf.next_leaf, 0);
    }

    // The first entry in order (orders that keep the largest sizes only) whose start is in
    // [lower, upper) and whose size is at least `min_size` that `accept` takes; subtrees too small
    // or wholly outside are skipped, so with an `accept` that takes every such entry it is one descent.
    template <class Accept>
    position first_where(Size min_size, Offset lower, Offset upper, Accept accept) const {
        return root_ == nil ? end_position : search(root_, min_size, lower, upper, accept);
    }
    // Calls visit(entry) for every entry of at least `min_size`, in order.
    template <class Visit>
    void for_each_at_least(Size min_size, Visit visit) const {
        if (root_ != nil) visit_at_least(root_, min_size, visit);
    }

    // Makes sure the next `inserts` inserts cannot throw. May throw std::bad_alloc; then
    // nothing changed but spare nodes.
    void reserve_inserts(std::size_t inserts = 1) {
        const std::size_t needed = inserts * (depth_ + inserts);  // a split on every level and a new root, each
        while (spare_count_ < needed) {
            if (nodes_.size() >= nil) throw std::bad_alloc();  // 32-bit links are exhausted
            nodes_.emplace_back();
            release(static_cast<link>(nodes_.size() - 1));
        }
    }

    // Adds `entry` (not present). Strong guarantee: may throw std::bad_alloc before any change.
    void insert(const free_block& entry) {
        reserve_inserts();
        ++count_;
        if (root_ == nil) {
            root_ = take_spare();
            start_node(root_, true);
            put(root_, 0, entry, entry.size, nil);
            nodes_[root_].count = 1;
            depth_ = 1;
            return;
        }
        path steps;
        const link leaf = descend(entry, steps);
        link split = insert_item(leaf, count_before(nodes_[leaf], entry), entry, entry.size, nil);
        for (std::size_t level = steps.size; level-- > 0;) {
            const step& up = steps.items[level];
            refresh(up.node, up.child);
            if (split != nil)
                split = insert_item(up.node, up.child + 1, nodes_[split].block(0), node_largest(nodes_[split]), split);
        }
        if (split != nil) {  // the root split: a new root above both halves
            const link old_root = root_;
            root_ = take_spare();
            start_node(root_, false);
            put(root_, 0, nodes_[old_root].block(0), node_largest(nodes_[old_root]), old_root);
            put(root_, 1, nodes_[split].block(0), node_largest(nodes_[split]), split);
            nodes_[root_].count = 2;
            ++depth_;
        }
    }

    // Removes `entry`, which must be present.
    void erase(const free_block& entry) noexcept {
        path steps;
        link below = descend(entry, steps);
        remove_item(below, count_before(nodes_[below], entry));
        --count_;
        for (std::size_t level = steps.size; level-- > 0;) {
            const step& up = steps.items[level];
            if (nodes_[below].count == 0) {
                unchain_leaf(below);
                release(below);
                remove_item(up.node, up.child);
            } else {
                refresh(up.node, up.child);
                rebalance(up.node, up.child);
            }
            below = up.node;
        }
        if (nodes_[root_].count == 0) {
            release(root_);
            root_ = nil;
            depth_ = 0;
            return;
        }
        while (!nodes_[root_].leaf && nodes_[root_].count == 1) {  // a root with one child steps down
            const link old_root = root_;
            root_ = nodes_[old_root].children[0];
            nodes_[root_].parent = nil;
            release(old_root);
            --depth_;
        }
    }

    // Replaces the entry at `where` by `fresh`, which must take the same place in the order,
    // climbing from its leaf while the item of the changed child changes: its smallest entry
    // (only while the change is at the front) or its largest size (rescanned only when the size
    // that shrank may have been the largest). O(fanout * levels climbed).
    void replace_at(position where, const free_block& fresh) noexcept {
        link child = leaf_of(where);
        const unsigned slot = slot_of(where);
        Size size_before = nodes_[child].sizes[slot];  // the changed item's largest size, before and after
        Size size_after = fresh.size;
        nodes_[child].starts[slot] = fresh.start;
        nodes_[child].sizes[slot] = fresh.size;
        nodes_[child].largest[slot] = fresh.size;
        bool smallest_changed = slot == 0;
        for (link above = nodes_[child].parent; above != nil; child = above, above = nodes_[above].parent) {
            bnode& parent = nodes_[above];
            const unsigned index = child_index(parent, child);
            const Size item_before = parent.largest[index];
            Size item_after = item_before;
            if (size_after >= item_before) {
                item_after = size_after;
            } else if (size_before == item_before) {
                item_after = node_largest(nodes_[child]);
            }
            if (!smallest_changed && item_after == item_before) return;
            if (smallest_changed) {
                parent.starts[index] = nodes_[child].starts[0];
                parent.sizes[index] = nodes_[child].sizes[0];
            }
            parent.largest[index] = item_after;
            smallest_changed = smallest_changed && index == 0;
            size_before = item_before;
            size_after = item_after;
        }
    }

    // BP1 every leaf lies at depth_; a node other than the root holds min_items..fanout items, a
    // leaf root 1..fanout, an inner root 2..fanout; BP2 the entries are strictly increasing in
    // Order; BP3 each inner item holds its child's smallest entry and largest size, each leaf item
    // its own size; BP4 the leaf chain visits the leaves in order, links symmetric; BP5 size()
    // counts the entries and every node is linked or spare; BP6 each node's parent link names the
    // node holding it. O(n); throws std::logic_error naming `name`.
    void validate(const char* name) const {
        std::size_t linked = 0;
        std::vector<link> leaves;
        if (root_ != nil) {
            if (!nodes_[root_].leaf && nodes_[root_].count < 2) broken(name, "BP1", "an inner root with one child");
            if (nodes_[root_].parent != nil) broken(name, "BP6", "the root has a parent");
            check_subtree(name, root_, 1, linked, leaves);
        } else if (depth_ != 0 || count_ != 0) {
            broken(name, "BP5", "an empty tree with depth or entries");
        }
        std::size_t entries = 0;
        link expected_previous = nil;
        for (std::size_t i = 0; i < leaves.size(); ++i) {
            const bnode& leaf = nodes_[leaves[i]];
            if (leaf.previous_leaf != expected_previous) broken(name, "BP4", "previous_leaf link");
            if (leaf.next_leaf != (i + 1 < leaves.size() ? leaves[i + 1] : nil)) broken(name, "BP4", "next_leaf link");
            expected_previous = leaves[i];
            entries += leaf.count;
        }
        free_block before{};
        bool any = false;
        for (position where = first(); where != end_position; where = next(where)) {
            if (any && !Order::less(before, at(where)))
                broken(name, "BP2", "entries out of order at " + std::to_string(at(where).start));
            before = at(where);
            any = true;
        }
        if (entries != count_) broken(name, "BP5", std::to_string(entries) + " entries, " + std::to_string(count_) + " counted");
        std::size_t spare = 0;
        for (link at = spare_; at != nil; at = nodes_[at].next_leaf) {
            if (at >= nodes_.size() || ++spare > nodes_.size())
                broken(name, "BP5", "the spare chain runs off its storage or loops");
        }
        if (spare != spare_count_ || linked + spare != nodes_.size()) broken(name, "BP5", "nodes are neither linked nor spare");
    }

private:
    struct step {
        link node;       // an inner node on the way down
        unsigned child;  // the child taken
    };
    struct path {
        std::array<step, 40> items;  // BP1 bounds the depth by 1 + log4(n): 17 levels for 2^32 entries
        std::size_t size = 0;
    };

    [[noreturn]] static void broken(const char* name, const char* invariant, const std::string& detail) {
        throw std::logic_error(std::string("heapkit::") + name + " invariant " + invariant + " broken: " + detail);
    }

    // The largest size under `node` (0 when the Order keeps none).
    static Size node_largest(const bnode& node) noexcept {
        if constexpr (!Order::keeps_largest) return 0;
        Size largest = 0;
        for (unsigned i = 0; i < node.count; ++i) largest = std::max(largest, node.largest[i]);
        return largest;
    }

    // The child of `inner` whose range holds `key`: the last whose smallest entry is not after
    // it (counted without branches: the keys are sorted).
    static unsigned route(const bnode& inner, const free_block& key) noexcept {
        unsigned chosen = 0;
        for (unsigned i = 1; i < inner.count; ++i) chosen += !Order::less(key, inner.block(i));
        return chosen;
    }

    // The entries of `node` ordered before `key`: where `key` is, or would go.
    static unsigned count_before(const bnode& node, const free_block& key) noexcept {
        unsigned before = 0;
        for (unsigned i = 0; i < node.count; ++i) before += Order::less(node.block(i), key);
        return before;
    }

    link descend(const free_block& key, path& steps) const noexcept {
        link at = root_;
        while (!nodes_[at].leaf) {
            const unsigned child = route(nodes_[at], key);
            steps.items[steps.size++] = {at, child};
            at = nodes_[at].children[child];
        }
        return at;
    }

    link edge_leaf(bool last) const noexcept {
        link at = root_;
        while (!nodes_[at].leaf) at = nodes_[at].children[last ? nodes_[at].count - 1u : 0u];
        return at;
    }

    void put(link node, unsigned slot, const free_block& block, Size largest, link child) noexcept {
        nodes_[node].starts[slot] = block.start;
        nodes_[node].sizes[slot] = block.size;
        nodes_[node].largest[slot] = largest;
        nodes_[node].children[slot] = child;
        if (child != nil) nodes_[child].parent = node;
    }
    void move_items(link from, unsigned from_slot, link to, unsigned to_slot, unsigned count) noexcept {
        bnode& source = nodes_[from];
        bnode& target = nodes_[to];
        std::copy_n(source.starts.begin() + from_slot, count, target.starts.begin() + to_slot);
        std::copy_n(source.sizes.begin() + from_slot, count, target.sizes.begin() + to_slot);
        std::copy_n(source.largest.begin() + from_slot, count, target.largest.begin() + to_slot);
        std::copy_n(source.children.begin() + from_slot, count, target.children.begin() + to_slot);
        if (from == to || target.leaf) return;
        for (unsigned i = 0; i < count; ++i) nodes_[target.children[to_slot + i]].parent = to;
    }

    static unsigned child_index(const bnode& parent, link child) noexcept {
        unsigned index = 0;
        while (parent.children[index] != child) ++index;
        return index;
    }
    void shift_items(link node, unsigned from_slot, unsigned to_slot) noexcept {  // the items from from_slot on
        bnode& shifted = nodes_[node];
        const unsigned count = shifted.count - from_slot;
        if (to_slot > from_slot) {
            std::copy_backward(shifted.starts.begin() + from_slot, shifted.starts.begin() + from_slot + count,
                               shifted.starts.begin() + to_slot + count);
            std::copy_backward(shifted.sizes.begin() + from_slot, shifted.sizes.begin() + from_slot + count,
                               shifted.sizes.begin() + to_slot + count);
            std::copy_backward(shifted.largest.begin() + from_slot, shifted.largest.begin() + from_slot + count,
                               shifted.largest.begin() + to_slot + count);
            std::copy_backward(shifted.children.begin() + from_slot, shifted.children.begin() + from_slot + count,
                               shifted.children.begin() + to_slot + count);
        } else {
            move_items(node, from_slot, node, to_slot, count);
        }
    }

    // Inserts an item at `slot`; a full node splits in halves first. Returns the new right half,
    // or nil. Cannot throw: reserve_inserts made the nodes.
    link insert_item(link node, unsigned slot, const free_block& block, Size largest, link child) noexcept {
        link target = node;
        link split = nil;
        if (nodes_[node].count == fanout) {
            split = take_spare();
            start_node(split, nodes_[node].leaf);
            move_items(node, fanout / 2, split, 0, fanout / 2);
            nodes_[split].count = fanout / 2;
            nodes_[node].count = fanout / 2;
            if (nodes_[node].leaf) chain_leaf_after(node, split);
            if (slot > fanout / 2) {
                target = split;
                slot -= fanout / 2;
            }
        }
        shift_items(target, slot, slot + 1);
        put(target, slot, block, largest, child);
        ++nodes_[target].count;
        return split;
    }

    void remove_item(link node, unsigned slot) noexcept {
        shift_items(node, slot + 1, slot);
        --nodes_[node].count;
    }

    // The item for child `slot` of `parent` after the child changed.
    void refresh(link parent, unsigned slot) noexcept {
        const bnode& child = nodes_[nodes_[parent].children[slot]];
        nodes_[parent].starts[slot] = child.starts[0];
        nodes_[parent].sizes[slot] = child.sizes[0];
        nodes_[parent].largest[slot] = node_largest(child);
    }

    // Keeps child `slot` of `parent` at least min_items full (BP1) after it lost an item. With a
    // neighbour (the next, else the previous), which holds min_items or more: when the two fit in
    // half a node they merge (leaving room, so that the next insert does not split again);
    // otherwise they share their items evenly, each then holding more than min_items. O(fanout).
    void rebalance(link parent, unsigned slot) noexcept {
        const bnode& above = nodes_[parent];
        if (nodes_[above.children[slot]].count >= min_items || above.count < 2) return;
        const unsigned left = slot + 1 < above.count ? slot : slot - 1;  // the pair (left, left + 1)
        const link kept = above.children[left];
        const link right = above.children[left + 1];
        const unsigned left_count = nodes_[kept].count;
        const unsigned total = left_count + nodes_[right].count;
        if (total <= fanout / 2) {
            move_items(right, 0, kept, left_count, nodes_[right].count);
            nodes_[kept].count = static_cast<std::uint16_t>(total);
            unchain_leaf(right);
            release(right);
            remove_item(parent, left + 1);
            refresh(parent, left);
            return;
        }
        const unsigned left_share = total / 2;
        if (left_count < left_share) {  // the right node's first items move to the end of the left one
            const unsigned moved = left_share - left_count;
            move_items(right, 0, kept, left_count, moved);
            shift_items(right, moved, 0);
        } else {  // the left node's last items move to the front of the right one
            const unsigned moved = left_count - left_share;
            shift_items(right, 0, moved);
            move_items(kept, left_share, right, 0, moved);
        }
        nodes_[kept].count = static_cast<std::uint16_t>(left_share);
        nodes_[right].count = static_cast<std::uint16_t>(total - left_share);
        refresh(parent, left);
        refresh(parent, left + 1);
    }

    void start_node(link node, bool leaf) noexcept {
        nodes_[node].count = 0;
        nodes_[node].leaf = leaf;
        nodes_[node].previous_leaf = nil;
        nodes_[node].next_leaf = nil;
        nodes_[node].parent = nil;
    }
    void chain_leaf_after(link leaf, link fresh) noexcept {
        const link following = nodes_[leaf].next_leaf;
        nodes_[fresh].previous_leaf = leaf;
        nodes_[fresh].next_leaf = following;
        nodes_[leaf].next_leaf = fresh;
        if (following != nil) nodes_[following].previous_leaf = fresh;
    }
    void unchain_leaf(link leaf) noexcept {
        if (!nodes_[leaf].leaf) return;
        const link before = nodes_[leaf].previous_leaf;
        const link after = nodes_[leaf].next_leaf;
        if (before != nil) nodes_[before].next_leaf = after;
        if (after != nil) nodes_[after].previous_leaf = before;
    }

    link take_spare() noexcept {
        const link taken = spare_;
        spare_ = nodes_[taken].next_leaf;
        --spare_count_;
        return taken;
    }
    void release(link node) noexcept {
        nodes_[node].count = 0;
        nodes_[node].next_leaf = spare_;
        spare_ = node;
        ++spare_count_;
    }

    template <class Accept>
    position search(link at, Size min_size, Offset lower, Offset upper, Accept& accept) const {
        const bnode& node = nodes_[at];
        for (unsigned i = 0; i < node.count; ++i) {
            if (node.starts[i] >= upper) return end_position;  // this child and all after it lie at or above upper
            if (node.largest[i] < min_size) continue;
            if (node.leaf) {
                if (node.starts[i] >= lower && accept(node.block(i))) return make(at, i);
                continue;
            }
            if (i + 1 < node.count && node.starts[i + 1] <= lower) continue;  // all of child i lies below lower
            if (const position found = search(node.children[i], min_size, lower, upper, accept); found != end_position)
                return found;
        }
        return end_position;
    }

    template <class Visit>
    void visit_at_least(link at, Size min_size, Visit& visit) const {
        const bnode& node = nodes_[at];
        for (unsigned i = 0; i < node.count; ++i) {
            if (node.largest[i] < min_size) continue;
            if (node.leaf) {
                visit(node.block(i));
            } else {
                visit_at_least(node.children[i], min_size, visit);
            }
        }
    }

    // Checks BP1 and BP3 below `at`, collecting the leaves in order.
    void check_subtree(const char* name, link at, std::size_t depth, std::size_t& linked, std::vector<link>& leaves) const {
        if (at >= nodes_.size() || ++linked > nodes_.size()) broken(name, "BP5", "a child runs off the storage or loops");
        const bnode& node = nodes_[at];
        const unsigned least = at == root_ ? 1 : min_items;
        if (node.count < least || node.count > fanout)
            broken(name, "BP1", "a node with " + std::to_string(node.count) + " items");
        if (node.leaf) {
            if (depth != depth_)
                broken(name, "BP1", "a leaf at depth " + std::to_string(depth) + " of " + std::to_string(depth_));
            for (unsigned i = 0; i < node.count; ++i) {
                if (node.largest[i] != node.sizes[i]) broken(name, "BP3", "a leaf's size copy");
            }
            leaves.push_back(at);
            return;
        }
        for (unsigned i = 0; i < node.count; ++i) {
            const bnode& child = nodes_[node.children[i]];
            if (child.parent != at) broken(name, "BP6", "a child's parent link");
            check_subtree(name, node.children[i], depth + 1, linked, leaves);
            if (node.block(i) != child.block(0) || node.largest[i] != node_largest(child)) {
                broken(name, "BP3", "the item of a child disagrees with it");
            }
        }
    }

    std::vector<bnode> nodes_;     // linked and spare nodes
    link root_ = nil;              // nil when empty
    link spare_ = nil;             // unlinked nodes, chained through next_leaf
    std::size_t spare_count_ = 0;  // nodes on the spare chain
    std::size_t depth_ = 0;        // levels: 0 when empty, 1 when the root is a leaf
    std::size_t count_ = 0;        // entries
};

}  // namespace heapkit::detail
