"""Spans from Python: without_spans, add_span, remove_span, the spans property, the errors in the
facade's order, reset, and a random run of span changes checked against a brute-force model."""
import random

import pytest

from heapkit import InvalidAddress, InvalidFree, InvalidSize, MemoryAllocator, OutOfMemory


@pytest.mark.parametrize("index", ("list", "tree"))
def test_an_allocator_without_spans_gets_memory_from_add_span(index):
    allocator = MemoryAllocator.without_spans(index=index)
    assert (allocator.capacity, allocator.free_memory, allocator.spans) == (0, 0, [])
    with pytest.raises(OutOfMemory):
        allocator.allocate(1)
    allocator.add_span(1000, 100)
    allocator.add_span(2000, 50)
    assert allocator.spans == [(1000, 100), (2000, 50)]
    assert allocator.allocate(60) == 1000
    assert allocator.allocate(50) == 2000  # never across the gap
    with pytest.raises(InvalidAddress):
        allocator.free(1100, 1)  # in no span
    with pytest.raises(InvalidFree):
        allocator.remove_span(1000, 100)
    allocator.free(1000, 60)
    allocator.remove_span(1000, 100)
    assert (allocator.capacity, allocator.spans, allocator.map()) == (50, [(2000, 50)], "[Allocated(2000-2049)]")
    allocator.validate()
    allocator.reset()
    assert allocator.spans == []


def test_span_errors_come_in_the_facades_order():
    allocator = MemoryAllocator(10)
    for start, size, error in ((5, 0, InvalidSize), (-1, 0, InvalidSize), (-1, 4, InvalidAddress), (5, 10, InvalidAddress),
                               (2**64 - 2, 2, InvalidAddress), (0, 2**64, InvalidAddress)):
        with pytest.raises(error):
            allocator.add_span(start, size)
    with pytest.raises(InvalidAddress, match="passes the end of the span"):
        allocator.remove_span(5, 6)
    allocator.add_span(10, 5)  # touches [0, 10): one span
    assert allocator.spans == [(0, 15)]
    allocator.remove_span(3, 4)
    assert allocator.spans == [(0, 3), (7, 8)]
    with pytest.raises(TypeError):
        MemoryAllocator(10, index="tlsf").add_span(10, 5)
    with pytest.raises(TypeError):
        MemoryAllocator.without_spans(index="buddy")
    with pytest.raises(InvalidSize):
        MemoryAllocator(0)  # the seed's rule stands: a capacity must be positive


def test_random_span_changes_match_a_model():
    seed = random.randrange(2**32)
    print("seed", seed)
    rng = random.Random(seed)
    limit = 200
    allocator = MemoryAllocator.without_spans(index="tree")
    in_span = [False] * limit
    used = [False] * limit
    live = {}
    for _ in range(3000):
        start = rng.randrange(limit)
        size = rng.randrange(1, limit - start + 1)
        units = range(start, start + size)
        choice = rng.randrange(4)
        if choice == 0:
            fits = not any(in_span[u] for u in units)
            try:
                allocator.add_span(start, size)
                assert fits
                for u in units:
                    in_span[u] = True
            except InvalidAddress:
                assert not fits
        elif choice == 1:
            inside = all(in_span[u] for u in units)
            free = inside and not any(used[u] for u in units)
            try:
                allocator.remove_span(start, size)
                assert free
                for u in units:
                    in_span[u] = False
            except InvalidAddress:
                assert not inside
            except InvalidFree:
                assert inside and not free
        elif choice == 2:
            address = allocator.try_allocate(rng.randrange(1, 20))
            if address is not None:
                size = allocator.allocated[address]
                assert all(in_span[u] and not used[u] for u in range(address, address + size))
                for u in range(address, address + size):
                    used[u] = True
                live[address] = size
        elif live:
            address = rng.choice(sorted(live))
            size = live.pop(address)
            allocator.free(address, size)
            for u in range(address, address + size):
                used[u] = False
        allocator.validate()
        assert allocator.capacity == sum(in_span)
        assert allocator.free_memory == sum(1 for u in range(limit) if in_span[u] and not used[u])


def test_compaction_refuses_a_range_with_gaps_and_waiting_frees():
    allocator = MemoryAllocator(20, index="tree")
    allocator.allocate(4)
    allocator.add_span(30, 10)
    with pytest.raises(ValueError, match="without gaps"):
        allocator.compact()
    allocator.remove_span(30, 10)
    allocator.free_after(0, 4, 1)
    with pytest.raises(ValueError, match="deferred free"):
        allocator.make_room(18)
    allocator.complete(1)
    assert allocator.compact() == []
