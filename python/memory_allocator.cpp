// SPDX-License-Identifier: MIT
// heapkit.MemoryAllocator: the seed's Python class, backed by any offset index of the registry
// (index_registry.hpp) chosen by name at construction; each call visits the one allocator it holds.
#include <pybind11/stl.h>

#include <optional>
#include <string>
#include <variant>

#include "bindings.hpp"
#include "heapkit/offset/compaction.hpp"
#include "heapkit/offset/index_registry.hpp"
#include "heapkit/offset/memory_map.hpp"
#include "python_integers.hpp"

namespace py = pybind11;

namespace heapkit::python {
namespace {

using any_allocator = any_index_allocator;

[[noreturn]] void raise(const edge_error& failure) { throw_error(failure.kind, failure.message); }

// A size and an alignment as allocate, allocate_handle, try_allocate and make_room take them.
struct request {
    Size size;
    Size alignment;
};

// The request, or the edge's error raised (a size not positive or too large, a bad alignment).
request checked_request(const integer_argument& size, const integer_argument& alignment) {
    const edge_integer units = edge_integer_from(size, "size");
    const edge_integer aligned_to = edge_integer_from(alignment, "alignment");
    if (const auto failure = edge_allocate_error(units, aligned_to)) raise(*failure);
    return {units.magnitude, aligned_to.magnitude};
}

// The keyword constraints of allocate, try_allocate and explain; max None: no upper bound.
struct constraint_arguments {
    integer_argument phase;
    integer_argument nocross;
    integer_argument min;
    py::object max;
};

// A request with constraints, checked in the facade's order (size, alignment, each constraint's
// value); the facade then checks how the values fit together.
struct constrained_request {
    Size size;
    constraints wanted;
};
constrained_request checked_constrained(const integer_argument& size, const integer_argument& alignment,
                                        const constraint_arguments& given) {
    const request asked = checked_request(size, alignment);
    constrained_request checked{asked.size, {}};
    checked.wanted.alignment = asked.alignment;
    const auto value_of = [](const py::handle& value, const char* name) {
        const edge_integer number = edge_integer_from(value, name);
        if (const auto failure = edge_constraint_error(number, name)) raise(*failure);
        return number.magnitude;
    };
    checked.wanted.phase = value_of(given.phase.value, "phase");
    checked.wanted.nocross = value_of(given.nocross.value, "nocross");
    checked.wanted.min_address = value_of(given.min.value, "min");
    if (!given.max.is_none()) checked.wanted.max_address = value_of(given.max, "max");
    return checked;
}

class memory_allocator {
public:
    memory_allocator(const integer_argument& total_capacity, const std::string& fit, const std::string& index)
        : memory_allocator(positive_units_from(total_capacity, "total_capacity"), fit, index) {}
    // capacity 0: no span (list and tree), as without_spans makes it.
    memory_allocator(Size capacity, const std::string& fit, const std::string& index)
        : allocator_(make(capacity, fit, index)), made_capacity_(capacity), fit_name_(fit), index_(index) {}

    // Calls visitor(allocator) on the allocator this object holds.
    template <class Visitor>
    decltype(auto) visit(Visitor&& visitor) {
        return std::visit(std::forward<Visitor>(visitor), allocator_);
    }
    template <class Visitor>
    decltype(auto) visit(Visitor&& visitor) const {
        return std::visit(std::forward<Visitor>(visitor), allocator_);
    }

    Offset allocate(const integer_argument& size, const integer_argument& alignment, const py::object& owner,
                    const constraint_arguments& given) {
        const constrained_request asked = checked_constrained(size, alignment, given);
        return with_figures(asked.size, [&] {
            return visit([&](auto& allocator) -> Offset {
                if (!asks_only_alignment(asked.wanted, allocator.address_limit())) {
                    if (!owner.is_none()) throw py::type_error("allocate() takes an owner or constraints, not both");
                    return constrained<Offset>(allocator, "allocate",
                                               [&](auto& named) { return named.allocate(asked.size, asked.wanted); });
                }
                if (owner.is_none()) return allocator.allocate(asked.size, asked.wanted.alignment);
                return allocator.allocate_for(owner_from(owner), asked.size, asked.wanted.alignment);
            });
        });
    }

    // (address, "") where allocate would place the request, or (None, why not); invalid
    // arguments raise as allocate's do. Changes nothing.
    py::tuple explain(const integer_argument& size, const integer_argument& alignment, const constraint_arguments& given) const {
        const constrained_request asked = checked_constrained(size, alignment, given);
        const explanation told = visit([&](const auto& allocator) {
            return constrained<explanation>(allocator, "explain",
                                            [&](const auto& named) { return named.explain(asked.size, asked.wanted); });
        });
        if (told.kind == errc::ok) return py::make_tuple(*told.address, "");
        if (told.kind != errc::out_of_memory) throw_error(told.kind, told.reason);
        return py::make_tuple(py::none(), told.reason);
    }

    // Exactly [address, +size); raises as free's checks do, then OutOfMemory naming what is in the way.
    Offset allocate_at(const integer_argument& address, const integer_argument& size) {
        const edge_integer at = edge_integer_from(address, "address");
        const edge_integer units = edge_integer_from(size, "size");
        if (const auto failure = edge_range_error(address_limit(), at, units, "allocation size")) raise(*failure);
        return with_figures(units.magnitude, [&] {
            return visit([&](auto& allocator) {
                return at_an_address<Offset>(allocator, "allocate_at",
                                             [&](auto& named) { return named.allocate_at(at.magnitude, units.magnitude); });
            });
        });
    }

    // add_span / remove_span(start, size), checked in the facade's order.
    void change_span(const integer_argument& start, const integer_argument& size, bool adding) {
        const edge_integer at = edge_integer_from(start, "start");
        const edge_integer units = edge_integer_from(size, "size");
        if (const auto failure = edge_span_error(at, units)) raise(*failure);
        visit([&](auto& allocator) {
            at_an_address<void>(allocator, adding ? "add_span" : "remove_span", [&](auto& named) {
                if (adding) {
                    named.add_span(at.magnitude, units.magnitude);
                } else {
                    named.remove_span(at.magnitude, units.magnitude);
                }
            });
        });
    }

    // free(address, size), carried out once complete(e) is called with e >= epoch.
    void free_after(const integer_argument& address, const integer_argument& size, const integer_argument& epoch) {
        const edge_integer at = edge_integer_from(address, "address");
        const edge_integer units = edge_integer_from(size, "size");
        const Epoch after = epoch_from(epoch);
        if (const auto failure = edge_free_error(address_limit(), at, units)) raise(*failure);
        visit([&](auto& allocator) { allocator.free_after(at.magnitude, units.magnitude, after); });
    }

    Size complete(const integer_argument& epoch) {
        const Epoch done = epoch_from(epoch);
        return visit([&](auto& allocator) { return allocator.complete(done); });
    }

    // (address, handle): allocate, with a handle that free_handle takes.
    py::tuple allocate_handle(const integer_argument& size, const integer_argument& alignment) {
        const request asked = checked_request(size, alignment);
        const handled_allocation placed = with_figures(asked.size, [&] {
            return visit([&](auto& allocator) { return allocator.allocate_handle(asked.size, asked.alignment); });
        });
        return py::make_tuple(placed.address, placed.handle.bits);
    }

    // A handle that is negative or past 64 bits names no allocation: InvalidFree, as a stale one.
    void free_handle(const integer_argument& handle) {
        const edge_integer bits = edge_integer_from(handle, "handle");
        if (!bits.as_units()) throw_error(errc::invalid_free, "handle " + bits.to_string() + " names no allocation");
        visit([&](auto& allocator) { allocator.free(allocation_handle{bits.magnitude}); });
    }

    // allocate, with None instead of OutOfMemory; invalid arguments still raise.
    std::optional<Offset> try_allocate(const integer_argument& size, const integer_argument& alignment,
                                       const constraint_arguments& given) {
        const constrained_request asked = checked_constrained(size, alignment, given);
        const result<Offset> placed = visit([&](auto& allocator) -> result<Offset> {
            if (asks_only_alignment(asked.wanted, allocator.address_limit()))
                return allocator.try_allocate(asked.size, asked.wanted.alignment);
            return constrained<result<Offset>>(allocator, "try_allocate",
                                               [&](auto& named) { return named.try_allocate(asked.size, asked.wanted); });
        });
        if (placed) return *placed;
        if (placed.error() == errc::out_of_memory) return std::nullopt;
        return allocate(size, alignment, py::none(), given);  // raises the error with its message
    }

    // The moves of a full compaction (list and tree), applied: [(from, to, size), ...].
    py::list compact() {
        return relocating("compact", [](auto& allocator) { return plan_full_compaction(allocator); });
    }

    // The fewest moves that make room for `size` units at `alignment`, applied; OutOfMemory when
    // no compaction does.
    py::list make_room(const integer_argument& size, const integer_argument& alignment) {
        const request asked = checked_request(size, alignment);
        return relocating("make_room", [&](auto& allocator) {
            std::optional<compaction_plan> plan = plan_room_for(allocator, asked.size, asked.alignment);
            if (!plan) {
                raise_out_of_memory("no compaction plan found that makes room for " + std::to_string(asked.size) + " units",
                                    asked.size, allocator.free_memory(), allocator.largest_free_block());
            }
            return *std::move(plan);
        });
    }

    py::list allocations() const {
        py::list live;
        visit([&](const auto& allocator) {
            for (const allocation& block : allocator.allocations()) live.append(py::make_tuple(block.address, block.size));
        });
        return live;
    }

    // Everything free again and the spans as they were, as when it was made.
    void reset() { allocator_ = make(made_capacity_, fit_name_, index_); }

    void free(const integer_argument& address, const py::object& size) {
        const edge_integer at = edge_integer_from(address, "address");
        if (size.is_none()) {
            if (const auto failure = edge_address_error(address_limit(), at)) raise(*failure);
            visit([&](auto& allocator) { allocator.free(at.magnitude); });
            return;
        }
        const edge_integer units = edge_integer_from(size, "size");
        if (const auto failure = edge_free_error(address_limit(), at, units)) raise(*failure);
        visit([&](auto& allocator) { allocator.free(at.magnitude, units.magnitude); });
    }

    Offset reallocate(const integer_argument& address, const integer_argument& new_size, const integer_argument& alignment) {
        const edge_integer at = edge_integer_from(address, "address");
        const edge_integer units = edge_integer_from(new_size, "new_size");
        const edge_integer aligned_to = edge_integer_from(alignment, "alignment");
        if (const auto failure = edge_reallocate_error(address_limit(), at, units, aligned_to)) raise(*failure);
        return with_figures(units.magnitude, [&] {
            return visit(
                [&](auto& allocator) { return allocator.reallocate(at.magnitude, units.magnitude, aligned_to.magnitude); });
        });
    }

    Size free_owner(const integer_argument& owner) {
        return visit([&](auto& allocator) { return allocator.free_owner(owner_from(owner.value)); });
    }

    py::dict allocated() const {
        py::dict by_address;
        visit([&](const auto& allocator) {
            for (const allocation& live : allocator.allocations()) by_address[py::int_(live.address)] = py::int_(live.size);
        });
        return by_address;
    }

    std::vector<free_block> free_blocks() const {
        return visit([](const auto& allocator) {
            std::vector<free_block> blocks;
            for (const free_block block : allocator.free_blocks()) blocks.push_back(block);
            return blocks;
        });
    }

    Size capacity() const {
        return visit([](const auto& allocator) { return allocator.capacity(); });
    }
    Offset address_limit() const {
        return visit([](const auto& allocator) { return allocator.address_limit(); });
    }
    const std::string& index() const noexcept { return index_; }
    std::optional<std::string> fit() const {
        if (!index_takes_fit(index_)) return std::nullopt;
        return visit([](const auto& allocator) { return std::string(fit_name(allocator.fit())); });
    }

private:
    // Runs `call`; an OutOfMemory it raises carries the request and the allocator's figures.
    template <class Call>
    auto with_figures(Size requested, Call call) -> decltype(call()) {
        try {
            return call();
        } catch (const out_of_memory& failure) {
            const auto [free_units, largest] = visit([](const auto& a) {
                return std::pair{a.free_memory(), a.largest_free_block()};
            });
            raise_out_of_memory(failure.what(), requested, free_units, largest);
        }
    }

    // Applies the plan `plan_for(allocator)` makes and returns its moves; TypeError for an index
    // that cannot place a block at a chosen address, ValueError when it cannot move blocks now
    // (a deferred free waits, or the range has gaps).
    template <class Planner>
    py::list relocating(const char* command, Planner plan_for) {
        return visit([&](auto& allocator) {
            py::list moves;
            if constexpr (requires { allocator.relocate(Offset{}, Offset{}); }) {
                if (const std::optional<std::string> refused = compaction_refusal(allocator, command))
                    throw py::value_error(*refused);
                const compaction_plan plan = plan_for(allocator);
                apply_plan(allocator, plan, [](Offset, Offset, Size) {});
                for (const move& step : plan.moves) moves.append(py::make_tuple(step.from, step.to, step.size));
            } else {
                throw py::type_error(std::string(command) +
                                     "() needs index 'list' or 'tree' (an index that can place a block at a chosen address)");
            }
            return moves;
        });
    }

    // call(allocator) when the index can (Able); otherwise TypeError: `command` needs `indexes`.
    template <class Result, bool Able, class Allocator, class Call>
    static Result only_if(Allocator& allocator, const char* command, const char* indexes, Call call) {
        if constexpr (Able) {
            return call(allocator);
        } else {
            throw py::type_error(std::string(command) + "() needs index " + indexes);
        }
    }
    template <class Result, class Allocator, class Call>
    static Result constrained(Allocator& allocator, const char* command, Call call) {
        return only_if<Result, std::remove_const_t<Allocator>::honours_constraints>(
            allocator, command, "'list', 'tree' or 'tlsf' for constraints (an index that searches under them)", call);
    }
    template <class Result, class Allocator, class Call>
    static Result at_an_address(Allocator& allocator, const char* command, Call call) {
        return only_if<Result, std::remove_const_t<Allocator>::names_blocks>(
            allocator, command, "'list' or 'tree' (an index that can place a block at a chosen address)", call);
    }

    // An epoch, 0 .. 2**64 - 1; ValueError otherwise.
    static Epoch epoch_from(const integer_argument& epoch) {
        const edge_integer number = edge_integer_from(epoch, "epoch");
        if (!number.as_units()) throw py::value_error("an epoch is 0 to 2**64 - 1, got " + number.to_string());
        return number.magnitude;
    }

    // The one place where the Python keyword arguments become a type.
    static any_allocator make(Size capacity, const std::string& fit_name_argument, const std::string& index) {
        const std::optional<Fit> fit = fit_from_name(fit_name_argument);
        if (!fit) throw py::value_error("unknown fit '" + fit_name_argument + "': expected first, next, best or worst");
        if (!index_accepts_fit(index, *fit)) {
            throw py::value_error("fit applies to index " + fit_index_names_text("'") + "; '" + index +
                                  "' places blocks by its own rule");
        }
        return with_index_named(index, [&](auto type) -> any_allocator {
            using allocator_type = typename decltype(type)::type;
            if (capacity != 0) return allocator_type(capacity, *fit);
            if constexpr (allocator_type::names_blocks) {
                return allocator_type(no_spans, *fit);
            } else {
                throw py::type_error("without_spans() needs index " + index_names_with(&index_facts::takes_spans, "'") + "; '" +
                                     index + "' manages a fixed range");
            }
        });
    }

    any_allocator allocator_;
    Size made_capacity_;    // as made, for reset(): 0 for no span
    std::string fit_name_;  // as given, for reset()
    std::string index_;
};

// A read-only statistic of the allocator, as a property.
template <class Statistic>
auto statistic(Statistic read) {
    return [read](const memory_allocator& self) { return self.visit([&](const auto& allocator) { return read(allocator); }); };
}

// The class's docstring, with the indexes of the registry.
std::string memory_allocator_doc() {
    std::vector<std::string> indexes;
    for (const index_facts& facts : index_table)
        indexes.push_back("\"" + std::string(facts.name) + "\" (" + std::string(facts.summary) + ")");
    return R"(A contiguous range of abstract units [0, total_capacity).

The seed's MemoryAllocator: allocate(size) returns the address of a contiguous block, free(address, size)
returns it and merges it with free neighbours. `fit` picks where a block goes ("first", "next", "best",
"worst"; other than "first" for )" +
           fit_index_names_text() + R"( only) and `index` how free space is found: )" + sentence_list(indexes) + R"(.
Errors: InvalidSize, InvalidAlignment, InvalidAddress, InvalidFree, InvalidConstraint (all ValueError) and OutOfMemory
(a MemoryError), raised in the seed's order of checks.)";
}

}  // namespace

void bind_memory_allocator(py::module_& module) {
    static const std::string doc = memory_allocator_doc();
    py::class_<memory_allocator>(module, "MemoryAllocator", doc.c_str())
        .def(py::init<const integer_argument&, const std::string&, const std::string&>(), py::arg("total_capacity"),
             py::arg("fit") = "first", py::arg("index") = "list",
             "All of [0, total_capacity) free. Raises InvalidSize unless total_capacity is 1 .. 2**64 - 1.")
        .def_static(
            "without_spans",
            [](const std::string& fit, const std::string& index) { return memory_allocator(Size{0}, fit, index); },
            py::arg("fit") = "first", py::arg("index") = "list",
            "An allocator that manages no unit yet (index 'list' and 'tree'): add_span gives it memory.")
        .def(
            "add_span",
            [](memory_allocator& self, const integer_argument& start, const integer_argument& size) {
                self.change_span(start, size, true);
            },
            py::arg("start"), py::arg("size"),
            "Adds the free units [start, start + size) to the range (index 'list' and 'tree'); they merge with a span\n"
            "they touch. Raises InvalidSize (size not positive) or InvalidAddress (it overlaps a span, or passes 2**64 - 1).")
        .def(
            "remove_span",
            [](memory_allocator& self, const integer_argument& start, const integer_argument& size) {
                self.change_span(start, size, false);
            },
            py::arg("start"), py::arg("size"),
            "Takes the units [start, start + size), which must lie in one span and be wholly free, out of the range.\n"
            "Raises InvalidSize, InvalidAddress (a unit is in no span) or InvalidFree (a block is inside it).")
        .def_property_readonly(
            "spans",
            [](const memory_allocator& self) { return self.visit([](const auto& a) { return free_block_tuples(a.spans()); }); },
            "The managed ranges in address order as (start, size) tuples (spans that touch are one).")
        .def(
            "allocate",
            [](memory_allocator& self, const integer_argument& size, const integer_argument& alignment, const py::object& owner,
               const integer_argument& phase, const integer_argument& nocross, const integer_argument& min,
               const py::object& max) {
                return self.allocate(size, alignment, owner, {phase, nocross, min, max});
            },
            py::arg("size"), py::arg("alignment") = 1, py::arg("owner") = py::none(), py::kw_only(), py::arg("phase") = 0,
            py::arg("nocross") = 0, py::arg("min") = 0, py::arg("max") = py::none(),
            "Allocates `size` units at an address that is a multiple of `alignment` and returns the address.\n"
            "An `owner` tag lets free_owner(owner) free the block later. Constraints (index 'list', 'tree', 'tlsf'):\n"
            "address % alignment == phase, [address, +size) crosses no multiple of `nocross` (0: none),\n"
            "min <= address and address + size <= max (None: no bound). Raises InvalidSize (size not positive),\n"
            "InvalidAlignment (not a power of two), InvalidConstraint (no address can meet them) or OutOfMemory\n"
            "(no free block can hold it; the message says whether memory is exhausted or fragmented, and how\n"
            "many large enough blocks each constraint refused).")
        .def(
            "try_allocate",
            [](memory_allocator& self, const integer_argument& size, const integer_argument& alignment,
               const integer_argument& phase, const integer_argument& nocross, const integer_argument& min,
               const py::object& max) {
                return self.try_allocate(size, alignment, {phase, nocross, min, max});
            },
            py::arg("size"), py::arg("alignment") = 1, py::kw_only(), py::arg("phase") = 0, py::arg("nocross") = 0,
            py::arg("min") = 0, py::arg("max") = py::none(),
            "As allocate, but returns None where allocate raises OutOfMemory (invalid arguments still raise).")
        .def(
            "explain",
            [](const memory_allocator& self, const integer_argument& size, const integer_argument& alignment,
               const integer_argument& phase, const integer_argument& nocross, const integer_argument& min,
               const py::object& max) {
                return self.explain(size, alignment, {phase, nocross, min, max});
            },
            py::arg("size"), py::arg("alignment") = 1, py::kw_only(), py::arg("phase") = 0, py::arg("nocross") = 0,
            py::arg("min") = 0, py::arg("max") = py::none(),
            "Where allocate would place the request, changing nothing: (address, '') when it fits, (None, why)\n"
            "when it does not. Invalid arguments raise as allocate's do. Index 'list', 'tree' and 'tlsf'.")
        .def("allocate_at", &memory_allocator::allocate_at, py::arg("address"), py::arg("size"),
             "Allocates exactly [address, address + size) and returns the address. Raises InvalidAddress, InvalidSize\n"
             "(checked as free checks them) or OutOfMemory naming the block in the way. Index 'list' and 'tree'.")
        .def("free_after", &memory_allocator::free_after, py::arg("address"), py::arg("size"), py::arg("epoch"),
             "Frees the block as free(address, size) does, once complete(e) is called with e >= epoch: until then\n"
             "its units are not reused (queued_memory counts them) and the block is no longer live.")
        .def("complete", &memory_allocator::complete, py::arg("epoch"),
             "Carries out every free queued for an epoch up to `epoch` and returns the units given back.")
        .def("allocate_handle", &memory_allocator::allocate_handle, py::arg("size"), py::arg("alignment") = 1,
             "As allocate, returning (address, handle): free_handle(handle) frees the block with no lookup by\n"
             "address. The handle stays valid while the block lives, also when reallocate moves it.")
        .def("free_handle", &memory_allocator::free_handle, py::arg("handle"),
             "Frees the block `handle` names. Raises InvalidFree, changing nothing, when it names no live block:\n"
             "freed already (by handle or by address), never handed out, or another allocator's.")
        .def("compact", &memory_allocator::compact,
             "Slides every block down, each to the lowest address its alignment allows, and returns the moves as\n"
             "(from, to, size) tuples; the caller moves the contents. TypeError for index 'tlsf' and 'buddy'.")
        .def("make_room", &memory_allocator::make_room, py::arg("size"), py::arg("alignment") = 1,
             "Moves as few units as it can so that `size` units at `alignment` fit, and returns the moves as\n"
             "(from, to, size) tuples. Raises InvalidSize, InvalidAlignment, OutOfMemory (no compaction makes\n"
             "room), TypeError for index 'tlsf' and 'buddy'.")
        .def("allocations", &memory_allocator::allocations, "The live blocks in address order as (address, size) tuples.")
        .def("reset", &memory_allocator::reset, "Frees every block: the allocator is as it was when made.")
        .def("free", &memory_allocator::free, py::arg("address"), py::arg("size") = py::none(),
             "Frees the block of `size` units at `address` (size None: the size it was allocated with) and merges it\n"
             "with free neighbours. Raises InvalidAddress (outside the range, or the range passes the end),\n"
             "InvalidSize (size not positive) or InvalidFree (no block of exactly that size starts there).")
        .def("reallocate", &memory_allocator::reallocate, py::arg("address"), py::arg("new_size"), py::arg("alignment") = 1,
             "Resizes the block at `address` and returns where it now starts: in place when it can, otherwise\n"
             "moved to a new block (the caller copies its contents). A failed call changes nothing.")
        .def("free_owner", &memory_allocator::free_owner, py::arg("owner"),
             "Frees every block allocated with `owner` and returns the units freed (LeetCode 2502's freeMemory).")
        .def("get_free_memory", statistic([](const auto& a) { return a.free_memory(); }), "Total free units.")
        .def("get_largest_free_block", statistic([](const auto& a) { return a.largest_free_block(); }),
             "Size of the largest contiguous free block.")
        .def(
            "free_blocks", [](const memory_allocator& self) { return free_block_tuples(self.free_blocks()); },
            "The free blocks in address order as (start, size) tuples.")
        .def(
            "map", [](const memory_allocator& self) { return self.visit([](const auto& a) { return memory_map(a); }); },
            "The whole range in the seed's notation, e.g. '[Allocated(0-19)] [Free(20-99)]'.")
        .def(
            "validate", [](const memory_allocator& self) { self.visit([](const auto& a) { a.validate(); }); },
            "Checks every invariant of the allocator; raises RuntimeError naming a broken one.")
        .def_property_readonly("capacity", &memory_allocator::capacity, "Total units managed.")
        .def_property_readonly("index", &memory_allocator::index, ("The free-space index: " + index_names_text() + ".").c_str())
        .def_property_readonly("fit", &memory_allocator::fit, "The placement policy (list and tree), or None.")
        .def_property_readonly("allocated", &memory_allocator::allocated,
                               "The live blocks as a new dict {address: size} (changing it changes nothing).")
        .def_property_readonly(
            "free_list_head", [](const memory_allocator& self) { return free_list_head_of(self.free_blocks()); },
            "The first FreeBlock of the address-ordered free list, or None when memory is full.")
        .def_property_readonly("free_memory", statistic([](const auto& a) { return a.free_memory(); }),
                               "Units no block holds and no deferred free waits for.")
        .def_property_readonly("queued_memory", statistic([](const auto& a) { return a.queued_memory(); }),
                               "Units whose free waits for its epoch (free_after).")
        .def_property_readonly("used_memory", statistic([](const auto& a) { return a.used_memory(); }),
                               "Units the live blocks asked for.")
        .def_property_readonly("reserved_memory", statistic([](const auto& a) { return a.reserved_memory(); }),
                               "Units the live blocks hold (buddy rounds requests up).")
        .def_property_readonly("largest_free_block", statistic([](const auto& a) { return a.largest_free_block(); }),
                               "Size of the largest free block.")
        .def_property_readonly("free_block_count", statistic([](const auto& a) { return a.free_block_count(); }),
                               "Number of free blocks.")
        .def_property_readonly("allocation_count", statistic([](const auto& a) { return a.allocation_count(); }),
                               "Number of live blocks.")
        .def_property_readonly("external_fragmentation", statistic([](const auto& a) { return a.external_fragmentation(); }),
                               "1 - largest free block / free memory (0 when free space is one block).")
        .def_property_readonly("internal_fragmentation", statistic([](const auto& a) { return a.internal_fragmentation(); }),
                               "1 - used / reserved memory (0 unless the index rounds requests up).")
        .def("__repr__", [](const py::object& object) {
            const memory_allocator& self = object.cast<const memory_allocator&>();
            return std::string(py::str(py::type::of(object).attr("__name__"))) + "(" + std::to_string(self.capacity()) +
                   ", fit=" + (self.fit() ? "'" + *self.fit() + "'" : "None") + ", index='" + self.index() + "')";
        });
}

}  // namespace heapkit::python
