"""heapkit's Python surface at its edges: what counts as a size, the exception classes and their
fields, and the compaction, inspection and reset calls the shell and C++ have."""
import pytest

import heapkit
from heapkit import Error, InvalidAlignment, InvalidFree, InvalidSize, MemoryAllocator, OutOfMemory, PoolAllocator


class Index:
    """An integer that is not an int, as numpy's are: it has __index__."""

    def __init__(self, value):
        self.value = value

    def __index__(self):
        return self.value


def test_bool_is_not_a_size():
    allocator = MemoryAllocator(10)
    for call in (lambda: allocator.allocate(True), lambda: MemoryAllocator(True), lambda: allocator.allocate(4, True),
                 lambda: allocator.free(False, 1), lambda: PoolAllocator(True, 1)):
        with pytest.raises(TypeError, match="must be an int, not bool"):
            call()
    assert allocator.free_blocks() == [(0, 10)]


def test_objects_with_index_are_integers():
    allocator = MemoryAllocator(Index(64))
    assert allocator.allocate(Index(8), Index(16)) == 0
    assert allocator.allocate(Index(3)) == 8
    allocator.free(Index(8), Index(3))
    with pytest.raises(InvalidSize):
        allocator.allocate(Index(-1))
    with pytest.raises(TypeError):
        allocator.allocate(2.0)


def test_one_base_class_and_the_seeds_standard_ones():
    for error, standard, kind in ((InvalidSize, ValueError, "invalid_size"),
                                  (InvalidAlignment, ValueError, "invalid_alignment"),
                                  (heapkit.InvalidAddress, ValueError, "invalid_address"),
                                  (InvalidFree, ValueError, "invalid_free"),
                                  (OutOfMemory, MemoryError, "out_of_memory")):
        assert issubclass(error, Error) and issubclass(error, standard)
        assert error.kind == kind
    with pytest.raises(Error) as caught:
        MemoryAllocator(10).free(3, 3)
    assert caught.value.kind == "invalid_free"


def test_out_of_memory_carries_its_figures():
    allocator = MemoryAllocator(30)
    for _ in range(3):
        allocator.allocate(10)
    allocator.free(0, 10)
    allocator.free(20, 10)
    with pytest.raises(OutOfMemory) as caught:
        allocator.allocate(15)
    assert (caught.value.requested, caught.value.free, caught.value.largest_free_block) == (15, 20, 10)
    assert "fragmented" in str(caught.value)
    with pytest.raises(OutOfMemory) as caught:
        allocator.reallocate(10, 25)
    assert caught.value.requested == 25
    pool = PoolAllocator(10, 5)
    pool.allocate()
    pool.allocate()
    with pytest.raises(OutOfMemory) as caught:
        pool.allocate()
    assert (caught.value.requested, caught.value.free, caught.value.largest_free_block) == (5, 0, 0)


def test_try_allocate_returns_none_only_when_out_of_memory():
    allocator = MemoryAllocator(10)
    assert allocator.try_allocate(6) == 0
    assert allocator.try_allocate(6) is None
    with pytest.raises(InvalidSize):
        allocator.try_allocate(0)
    with pytest.raises(InvalidAlignment):
        allocator.try_allocate(1, 3)


@pytest.mark.parametrize("index", ["list", "tree"])
def test_compact_and_make_room_keep_alignment(index):
    allocator = MemoryAllocator(50, index=index)
    assert [allocator.allocate(5), allocator.allocate(3), allocator.allocate(10, 16)] == [0, 5, 16]
    allocator.free(0, 5)
    assert allocator.compact() == [(5, 0, 3)]
    assert allocator.allocations() == [(0, 3), (16, 10)]
    assert allocator.make_room(24) == []  # 26..49 already holds it
    assert allocator.make_room(25) == [(16, 32, 10)]  # the 16-aligned block moves to 32, not 26
    assert allocator.allocations() == [(0, 3), (32, 10)]
    assert allocator.try_allocate(25) == 3
    with pytest.raises(InvalidAlignment):
        allocator.make_room(5, 0)
    with pytest.raises(OutOfMemory):
        allocator.make_room(48)
    allocator.validate()


@pytest.mark.parametrize("index", ["tlsf", "buddy"])
def test_compaction_needs_an_index_that_places_at_an_address(index):
    allocator = MemoryAllocator(64, index=index)
    with pytest.raises(TypeError, match="needs index 'list' or 'tree'"):
        allocator.compact()
    with pytest.raises(TypeError):
        allocator.make_room(4)


def test_reset_frees_everything_and_keeps_the_policy():
    allocator = MemoryAllocator(100, fit="best", index="tree")
    allocator.allocate(10, owner=1)
    allocator.allocate(20)
    allocator.reset()
    assert allocator.allocations() == [] and allocator.free_blocks() == [(0, 100)]
    assert (allocator.fit, allocator.index) == ("best", "tree")
    assert allocator.free_owner(1) == 0


def test_a_subclass_repr_uses_its_own_name():
    class Heap(MemoryAllocator):
        pass

    class Pool(PoolAllocator):
        pass

    assert repr(Heap(10)) == "Heap(10, fit='first', index='list')"
    assert repr(Pool(10, 5)) == "Pool(10, 5)"
