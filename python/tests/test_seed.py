"""The seed's worked example verbatim, its test-case and edge-case lists, and the Python edge."""
import pytest

import heapkit
from heapkit import InvalidAddress, InvalidAlignment, InvalidFree, InvalidSize, MemoryAllocator, OutOfMemory

INDEXES = ["list", "tree", "tlsf"]


@pytest.mark.parametrize("index", INDEXES)
def test_seed_worked_example(index):
    allocator = MemoryAllocator(100, index=index)
    addr1 = allocator.allocate(20)  # Returns 0
    assert addr1 == 0
    assert allocator.map() == "[Allocated(0-19)] [Free(20-99)]"
    addr2 = allocator.allocate(30)  # Returns 20
    assert addr2 == 20
    addr3 = allocator.allocate(40)  # Returns 50
    assert addr3 == 50
    assert allocator.map() == "[Allocated(0-19)] [Allocated(20-49)] [Allocated(50-89)] [Free(90-99)]"
    allocator.free(20, 30)
    assert allocator.map() == "[Allocated(0-19)] [Free(20-49)] [Allocated(50-89)] [Free(90-99)]"
    addr4 = allocator.allocate(25)  # Returns 20
    assert addr4 == 20
    assert allocator.map() == "[Allocated(0-19)] [Allocated(20-44)] [Free(45-49)] [Allocated(50-89)] [Free(90-99)]"
    allocator.free(0, 20)
    allocator.free(20, 25)
    assert allocator.map() == "[Free(0-49)] [Allocated(50-89)] [Free(90-99)]"
    assert allocator.get_free_memory() == 60
    assert allocator.get_largest_free_block() == 50
    assert allocator.allocated == {50: 40}
    allocator.validate()


def test_free_list_head_is_the_seeds_doubly_linked_list():
    allocator = MemoryAllocator(100)
    for _ in range(5):
        allocator.allocate(20)
    allocator.free(20, 20)
    allocator.free(60, 20)
    head = allocator.free_list_head
    assert (head.start, head.size) == (20, 20)
    assert head.prev is None
    assert (head.next.start, head.next.size) == (60, 20)
    assert head.next.prev == head
    assert head.next.next is None
    allocator.allocate(20)
    allocator.allocate(20)
    assert allocator.free_list_head is None


def test_capacity_and_allocated_are_attributes():
    allocator = MemoryAllocator(100)
    allocator.allocate(10)
    assert allocator.capacity == 100
    snapshot = allocator.allocated
    snapshot[50] = 5  # a copy: the allocator does not change
    assert allocator.allocated == {0: 10}


@pytest.mark.parametrize("capacity", [0, -1, 2**64, 2**100])
def test_total_capacity_must_be_positive_and_64_bit(capacity):
    with pytest.raises(ValueError):
        MemoryAllocator(capacity)
    with pytest.raises(InvalidSize):
        MemoryAllocator(capacity)


def test_memory_exhaustion_and_fragmentation():
    allocator = MemoryAllocator(100)
    with pytest.raises(OutOfMemory, match="exhausted"):
        allocator.allocate(101)
    for _ in range(10):
        allocator.allocate(10)
    for address in (0, 20, 40, 60, 80):
        allocator.free(address, 10)
    with pytest.raises(MemoryError, match="fragmented"):
        allocator.allocate(20)
    assert allocator.get_free_memory() == 50


def test_merging_in_all_combinations():
    allocator = MemoryAllocator(50)
    for _ in range(5):
        allocator.allocate(10)
    allocator.free(10, 10)  # no merge
    assert allocator.free_blocks() == [(10, 10)]
    allocator.free(20, 10)  # with previous
    assert allocator.free_blocks() == [(10, 20)]
    allocator.free(0, 10)  # with next
    assert allocator.free_blocks() == [(0, 30)]
    allocator.free(40, 10)
    allocator.free(30, 10)  # with both
    assert allocator.free_blocks() == [(0, 50)]


def test_boundaries_address_zero_and_end_of_memory():
    allocator = MemoryAllocator(10)
    assert allocator.allocate(9) == 0
    assert allocator.allocate(1) == 9
    allocator.free(9, 1)
    allocator.free(0, 9)
    assert allocator.allocate(10) == 0


@pytest.mark.parametrize("size", [0, -5, 2**64, -(2**80)])
def test_allocate_invalid_sizes(size):
    allocator = MemoryAllocator(100)
    with pytest.raises(InvalidSize):
        allocator.allocate(size)


def test_invalid_operations_in_the_seeds_order():
    allocator = MemoryAllocator(100)
    allocator.allocate(10)
    with pytest.raises(InvalidAddress):
        allocator.free(-1, 10)
    with pytest.raises(InvalidAddress):
        allocator.free(100, -1)  # address is checked before size
    with pytest.raises(InvalidAddress):
        allocator.free(2**70, 1)
    with pytest.raises(InvalidSize):
        allocator.free(5, -1)
    with pytest.raises(InvalidSize):
        allocator.free(5, 0)
    with pytest.raises(InvalidAddress):
        allocator.free(95, 10)
    with pytest.raises(InvalidAddress):
        allocator.free(5, 2**70)
    with pytest.raises(InvalidFree):
        allocator.free(0, 5)  # wrong size
    with pytest.raises(InvalidFree):
        allocator.free(3, 7)  # interior
    with pytest.raises(InvalidFree):
        allocator.free(50, 10)  # never allocated
    allocator.free(0, 10)
    with pytest.raises(InvalidFree):
        allocator.free(0, 10)  # double free
    with pytest.raises(InvalidAlignment):
        allocator.allocate(4, 3)
    with pytest.raises(InvalidAlignment):
        allocator.allocate(4, -8)
    with pytest.raises(InvalidSize):
        allocator.allocate(0, 3)  # size is checked before alignment
    assert allocator.free_blocks() == [(0, 100)]  # failed calls changed nothing


def test_non_integers_are_type_errors():
    allocator = MemoryAllocator(100)
    for call in (lambda: allocator.allocate(1.5), lambda: allocator.allocate("4"), lambda: allocator.free(0, 2.0),
                 lambda: MemoryAllocator(10.0)):
        with pytest.raises(TypeError):
            call()


def test_exception_classes():
    for error in (InvalidSize, InvalidAlignment, InvalidAddress, InvalidFree):
        assert issubclass(error, ValueError)
    assert issubclass(OutOfMemory, MemoryError)


def test_policies_alignment_owners_and_reallocate():
    best = MemoryAllocator(100, fit="best", index="tree")
    for size in (10, 5, 20, 5, 10, 5):
        best.allocate(size)
    best.free(0, 10)
    best.free(15, 20)
    best.free(40, 10)
    assert best.allocate(8) == 0
    assert best.allocate(15) == 15
    aligned = MemoryAllocator(64)
    aligned.allocate(3)
    assert aligned.allocate(8, 16) == 16
    assert aligned.free_blocks() == [(3, 13), (24, 40)]
    owners = MemoryAllocator(10)
    assert owners.allocate(1, owner=1) == 0
    assert owners.allocate(1, owner=2) == 1
    assert owners.allocate(1, owner=1) == 2
    assert owners.free_owner(1) == 2
    assert owners.allocated == {1: 1}
    assert owners.reallocate(1, 5) == 1
    assert owners.allocated == {1: 5}


def test_buddy_and_pool():
    buddy = MemoryAllocator(128, index="buddy")
    assert buddy.allocate(20) == 0
    assert buddy.reserved_memory == 32
    assert buddy.internal_fragmentation == pytest.approx(12 / 32)
    with pytest.raises(ValueError):
        MemoryAllocator(128, index="buddy", fit="best")
    pool = heapkit.PoolAllocator(64, 16)
    assert [pool.allocate() for _ in range(4)] == [0, 16, 32, 48]
    with pytest.raises(OutOfMemory):
        pool.allocate()
    pool.free(16)
    assert pool.allocate(8) == 16
    assert pool.external_fragmentation == 0
    pool.validate()


def test_help_reads_well():
    assert "seed" in heapkit.MemoryAllocator.__doc__
    for name in ("allocate", "free", "reallocate", "free_owner", "get_free_memory", "get_largest_free_block",
                 "free_blocks", "map", "validate"):
        assert getattr(heapkit.MemoryAllocator, name).__doc__, name
