"""Constrained placement, allocate_at and deferred frees from Python: the keyword arguments phase,
nocross, min and max; explain; the errors in the facade's order; a brute-force model of the
constraints checked on random requests."""
import random

import pytest

from heapkit import (InvalidAddress, InvalidAlignment, InvalidConstraint, InvalidFree, InvalidSize, MemoryAllocator,
                     OutOfMemory)


def test_constraints_place_by_phase_boundary_and_window():
    allocator = MemoryAllocator(100)
    assert allocator.allocate(10, 8, phase=3) == 3
    assert allocator.allocate(10, 8, phase=3, nocross=16) == 19
    assert allocator.allocate(20, min=50, max=80) == 50
    assert allocator.try_allocate(60, min=10) is None
    assert allocator.free_blocks() == [(0, 3), (13, 6), (29, 21), (70, 30)]
    allocator.validate()


def test_constraint_errors_come_after_the_size_and_the_alignment():
    allocator = MemoryAllocator(10)
    with pytest.raises(InvalidSize):
        allocator.allocate(0, phase=-1)
    with pytest.raises(InvalidAlignment):
        allocator.allocate(4, 3, phase=9)
    for given in ({"phase": 1}, {"nocross": 3}, {"nocross": 2}, {"min": 5, "max": 8}, {"phase": -1}, {"max": 2**64}):
        with pytest.raises(InvalidConstraint):
            allocator.allocate(4, **given)
    with pytest.raises(TypeError):
        allocator.allocate(4, phase=True)
    with pytest.raises(TypeError):
        allocator.allocate(4, 1, 7, min=2)  # an owner and constraints
    assert issubclass(InvalidConstraint, ValueError) and InvalidConstraint.kind == "invalid_constraint"
    assert allocator.free_memory == 10


def test_explain_says_where_or_why_not_and_changes_nothing():
    allocator = MemoryAllocator(100)
    allocator.allocate(50)
    assert allocator.explain(10) == (50, "")
    assert allocator.explain(10, 16, phase=1) == (65, "")
    address, reason = allocator.explain(10, min=95)
    assert address is None and "outside the window" in reason
    with pytest.raises(InvalidConstraint):
        allocator.explain(4, 8, phase=8)
    assert allocator.free_blocks() == [(50, 50)]


def test_allocate_at_takes_exactly_its_range():
    allocator = MemoryAllocator(50)
    assert allocator.allocate_at(10, 5) == 10
    with pytest.raises(OutOfMemory, match=r"\[10, \+5\) is in the way"):
        allocator.allocate_at(12, 1)
    with pytest.raises(InvalidAddress):
        allocator.allocate_at(49, 2)
    with pytest.raises(InvalidSize):
        allocator.allocate_at(0, 0)
    assert allocator.allocated == {10: 5}


@pytest.mark.parametrize("index", ("list", "tree", "tlsf", "buddy"))
def test_a_deferred_free_waits_for_its_epoch(index):
    allocator = MemoryAllocator(64, index=index)
    first = allocator.allocate(16)
    allocator.free_after(first, 16, 5)
    with pytest.raises(InvalidFree):
        allocator.free(first, 16)  # no longer live
    assert allocator.queued_memory == 16 and allocator.free_memory == 48
    assert allocator.complete(4) == 0 and allocator.queued_memory == 16
    assert allocator.complete(5) == 16 and allocator.queued_memory == 0 and allocator.free_memory == 64
    with pytest.raises(ValueError):
        allocator.complete(-1)
    allocator.validate()


def test_each_index_does_what_it_can():
    tlsf = MemoryAllocator(64, index="tlsf")
    assert tlsf.allocate(8, 8, phase=1) == 1  # tlsf searches under constraints
    assert tlsf.explain(8, nocross=16)[0] is not None
    with pytest.raises(TypeError):
        tlsf.allocate_at(32, 8)  # but cannot place a block at a chosen address
    buddy = MemoryAllocator(64, index="buddy")
    assert buddy.allocate(8, 8, phase=0, max=64) == 0  # only an alignment: an ordinary allocate
    for call in (lambda: buddy.allocate(8, 8, phase=1), lambda: buddy.explain(8), lambda: buddy.allocate_at(8, 8)):
        with pytest.raises(TypeError):
            call()


def satisfies(address, size, alignment, phase, nocross, low, high):
    crosses = nocross and address // nocross != (address + size - 1) // nocross
    return address % alignment == phase and not crosses and low <= address and address + size <= high


@pytest.mark.parametrize("fit,index", (("first", "tree"), ("best", "tree"), ("first", "tlsf")))
def test_random_constraints_against_a_brute_force_model(seed, fit, index):
    """Every placement satisfies its constraints and lies in a free run; every refusal is justified
    by a scan of every free address (tlsf's above all: it may not fail while a place exists)."""
    chooser = random.Random(seed)
    capacity = 256
    allocator = MemoryAllocator(capacity, fit=fit, index=index)
    for _ in range(1500):
        if allocator.allocated and chooser.random() < 0.4:
            address, size = chooser.choice(sorted(allocator.allocated.items()))
            allocator.free(address, size)
            continue
        size = chooser.randint(1, 24)
        alignment = 1 << chooser.randint(0, 4)
        phase = chooser.randrange(alignment)
        nocross = chooser.choice((0, 32, 64))
        low = chooser.randrange(capacity)
        high = chooser.randint(low + size, capacity + 32)
        free_runs = allocator.free_blocks()
        placed = allocator.try_allocate(size, alignment, phase=phase, nocross=nocross, min=low, max=high)
        candidates = [a for start, length in free_runs for a in range(start, start + length - size + 1)
                      if satisfies(a, size, alignment, phase, nocross, low, high)]
        if placed is None:
            assert candidates == [], (size, alignment, phase, nocross, low, high)
        else:
            assert placed in candidates
            if fit == "first" and index == "tree":
                assert placed == min(candidates)
        allocator.validate()
