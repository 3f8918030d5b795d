// SPDX-License-Identifier: MIT
// heapkit::detail::treap: an intrusive randomized balanced tree over nodes kept in a vector and
// linked by 32-bit indices with parent links. Shape says which links of a node it uses, how nodes
// are ordered, and how a node's augmented value follows from its children. Expected depth
// O(log n); insert and erase rotate O(1) times on average and refresh the path to the root.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace heapkit::detail {

using link = std::uint32_t;
inline constexpr link nil = 0xFFFFFFFFu;

struct treap_links {
    link left = nil;
    link right = nil;
    link parent = nil;
};

// Shape requirements (all static):
//   treap_links& links(Node&), const treap_links& links(const Node&)
//   bool before(const Node& a, const Node& b)  a strict order
//   bool recompute(std::vector<Node>&, link)   the node's augmentation from its children; whether it changed
// Node::priority orders the heap: a parent's priority is never below its children's.
template <class Node, class Shape>
class treap {
public:
    link root() const noexcept { return root_; }

    void insert(std::vector<Node>& nodes, link fresh) noexcept { insert_below(nodes, fresh, leaf_for(nodes, fresh)); }

    // The node under which `fresh` goes as a leaf (nil for an empty tree). O(depth).
    link leaf_for(const std::vector<Node>& nodes, link fresh) const noexcept {
        link parent = nil;
        for (link at = root_; at != nil;) {
            parent = at;
            at = Shape::before(nodes[fresh], nodes[at]) ? links(nodes, at).left : links(nodes, at).right;
        }
        return parent;
    }

    // Inserts `fresh` as a leaf under `parent`, which a descent for it ended at (nil for an
    // empty tree), then restores the heap order: an insert that already knows its place.
    void insert_below(std::vector<Node>& nodes, link fresh, link parent) noexcept {
        links(nodes, fresh) = {};
        links(nodes, fresh).parent = parent;
        if (parent == nil) {
            root_ = fresh;
        } else if (Shape::before(nodes[fresh], nodes[parent])) {
            links(nodes, parent).left = fresh;
        } else {
            links(nodes, parent).right = fresh;
        }
        Shape::recompute(nodes, fresh);
        while (links(nodes, fresh).parent != nil && nodes[fresh].priority > nodes[links(nodes, fresh).parent].priority) {
            rotate_up(nodes, fresh);
        }
        refresh_while_changing(nodes, links(nodes, fresh).parent);
    }

    void erase(std::vector<Node>& nodes, link gone) noexcept {
        for (;;) {  // rotate the node down until it is a leaf
            const treap_links& around = links(nodes, gone);
            if (around.left == nil && around.right == nil) break;
            link child = around.left;
            if (child == nil || (around.right != nil && nodes[around.right].priority > nodes[child].priority)) {
                child = around.right;
            }
            rotate_up(nodes, child);
        }
        const link parent = links(nodes, gone).parent;
        replace_child(nodes, parent, gone, nil);
        refresh_while_changing(nodes, parent);
    }

    // Recomputes the augmentation of `from` and of its ancestors until one comes out unchanged:
    // a subtree whose set of nodes changed by one node, or whose one node changed value, changes
    // its ancestors' augmentation only through its own. Call it after a node's value changed
    // without changing its place in the order.
    static void refresh_while_changing(std::vector<Node>& nodes, link from) noexcept {
        for (; from != nil; from = links(nodes, from).parent) {
            if (!Shape::recompute(nodes, from)) return;
        }
    }

    static link first(const std::vector<Node>& nodes, link at) noexcept {
        if (at == nil) return nil;
        while (links(nodes, at).left != nil) at = links(nodes, at).left;
        return at;
    }

    // The next node in order after `at`, or nil.
    static link successor(const std::vector<Node>& nodes, link at) noexcept {
        if (links(nodes, at).right != nil) return first(nodes, links(nodes, at).right);
        link parent = links(nodes, at).parent;
        while (parent != nil && links(nodes, parent).right == at) {
            at = parent;
            parent = links(nodes, parent).parent;
        }
        return parent;
    }

    // TP1 parent links match child links, TP2 in-order is strictly increasing by Shape::before,
    // TP3 priorities form a heap, TP4 it holds `expected_count` nodes. O(n); returns the nodes
    // in order, for the caller's own checks.
    std::vector<link> validate(const std::vector<Node>& nodes, std::size_t expected_count, const char* name) const {
        std::vector<link> in_order;
        if (root_ != nil && links(nodes, root_).parent != nil) broken(name, "TP1", "the root has a parent");
        for (link at = first(nodes, root_); at != nil; at = successor(nodes, at)) {
            if (at >= nodes.size() || in_order.size() > expected_count) broken(name, "TP4", "more nodes than counted");
            for (const link child : {links(nodes, at).left, links(nodes, at).right}) {
                if (child == nil) continue;
                if (links(nodes, child).parent != at) broken(name, "TP1", "child's parent link is wrong");
                if (nodes[child].priority > nodes[at].priority) broken(name, "TP3", "a child outranks its parent");
            }
            if (!in_order.empty() && !Shape::before(nodes[in_order.back()], nodes[at])) {
                broken(name, "TP2", "in-order sequence is not increasing");
            }
            in_order.push_back(at);
        }
        if (in_order.size() != expected_count) {
            broken(name, "TP4", std::to_string(in_order.size()) + " nodes, " + std::to_string(expected_count) + " counted");
        }
        return in_order;
    }

private:
    static treap_links& links(std::vector<Node>& nodes, link at) noexcept { return Shape::links(nodes[at]); }
    static const treap_links& links(const std::vector<Node>& nodes, link at) noexcept { return Shape::links(nodes[at]); }

    [[noreturn]] static void broken(const char* name, const char* invariant, const std::string& detail) {
        throw std::logic_error(std::string("heapkit::") + name + " invariant " + invariant + " broken: " + detail);
    }

    void replace_child(std::vector<Node>& nodes, link parent, link old_child, link new_child) noexcept {
        if (parent == nil) {
            root_ = new_child;
        } else if (links(nodes, parent).left == old_child) {
            links(nodes, parent).left = new_child;
        } else {
            links(nodes, parent).right = new_child;
        }
    }

    // Moves `child` above its parent, keeping the order; recomputes both.
    void rotate_up(std::vector<Node>& nodes, link child) noexcept {
        const link parent = links(nodes, child).parent;
        const link grandparent = links(nodes, parent).parent;
        if (links(nodes, parent).left == child) {
            const link moved = links(nodes, child).right;
            links(nodes, parent).left = moved;
            if (moved != nil) links(nodes, moved).parent = parent;
            links(nodes, child).right = parent;
        } else {
            const link moved = links(nodes, child).left;
            links(nodes, parent).right = moved;
            if (moved != nil) links(nodes, moved).parent = parent;
            links(nodes, child).left = parent;
        }
        links(nodes, parent).parent = child;
        links(nodes, child).parent = grandparent;
        replace_child(nodes, grandparent, parent, child);
        Shape::recompute(nodes, parent);
        Shape::recompute(nodes, child);
    }

    link root_ = nil;
};

}  // namespace heapkit::detail
