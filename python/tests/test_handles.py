"""Generation-checked handles from Python: allocate_handle returns (address, handle) and
free_handle frees by it; a handle is refused, with nothing changed, once its block is gone, when
it was never handed out, or when it is another allocator's."""
import pytest

from heapkit import InvalidFree, InvalidSize, MemoryAllocator, OutOfMemory

INDEXES = ("list", "tree", "tlsf", "buddy")


@pytest.mark.parametrize("index", INDEXES)
def test_a_handle_frees_its_block_once(index):
    allocator = MemoryAllocator(1024, index=index)
    address, handle = allocator.allocate_handle(100)
    assert allocator.allocated == {address: 100}
    allocator.free_handle(handle)
    allocator.validate()
    assert allocator.allocation_count == 0 and allocator.free_memory == 1024
    before = allocator.free_blocks()
    with pytest.raises(InvalidFree):
        allocator.free_handle(handle)  # a double free
    assert allocator.free_blocks() == before


@pytest.mark.parametrize("index", INDEXES)
def test_stale_forged_and_foreign_handles_are_refused(index):
    allocator = MemoryAllocator(1024, index=index)
    other = MemoryAllocator(1024, index=index)
    _, stale = allocator.allocate_handle(10)
    allocator.free_handle(stale)
    address, live = allocator.allocate_handle(10)  # reuses the slot with a new generation
    assert live != stale
    _, foreign = other.allocate_handle(10)
    blocks = allocator.free_blocks()
    for refused in (stale, foreign, live ^ (1 << 33), live + 1, 0, -1, 2**64, 2**64 - 1):
        with pytest.raises(InvalidFree):
            allocator.free_handle(refused)
        assert allocator.free_blocks() == blocks and allocator.allocated == {address: 10}
    allocator.free_handle(live)
    allocator.validate()


def test_freeing_by_address_makes_the_handle_stale():
    allocator = MemoryAllocator(100, index="tree")
    address, handle = allocator.allocate_handle(10)
    allocator.free(address, 10)
    with pytest.raises(InvalidFree):
        allocator.free_handle(handle)


def test_the_handle_follows_a_moved_block():
    allocator = MemoryAllocator(100)
    _, handle = allocator.allocate_handle(10)
    allocator.allocate(10)
    moved = allocator.reallocate(0, 30)  # no room after it: it moves
    assert moved == 20
    allocator.free_handle(handle)
    assert allocator.allocated == {10: 10}
    allocator.validate()


def test_allocate_handle_checks_its_request_as_allocate_does():
    allocator = MemoryAllocator(10)
    with pytest.raises(InvalidSize):
        allocator.allocate_handle(0)
    with pytest.raises(OutOfMemory):
        allocator.allocate_handle(11)
    assert allocator.allocate_handle(4, 8)[0] == 0
