"""heapkit against a small pure-Python model of the seed's allocator with the policies of docs/PROTOCOL.md.

list and tree must return exactly what the model returns (addresses and error kinds) for every
policy; tlsf and buddy place blocks by their own rule, so for them every error other than
out-of-memory must match the model's checks and every out-of-memory must be justified by the
free blocks. validate() runs after every call.
"""
import random

import pytest

import heapkit
from seed_model import Model

FITS = ["first", "next", "best", "worst"]


def outcome(call):
    try:
        return call()
    except (heapkit.InvalidSize, heapkit.InvalidAlignment, heapkit.InvalidAddress, heapkit.InvalidFree,
            heapkit.OutOfMemory) as error:
        return type(error).__name__


def random_value(rng, capacity):
    """Mostly sensible numbers, sometimes zero, negative or beyond 64 bits."""
    roll = rng.random()
    if roll < 0.03:
        return rng.choice([0, -1, -rng.randrange(1, 2**70), 2**64, 2**64 + rng.randrange(2**70)])
    return rng.randrange(1, max(2, capacity // 6))


@pytest.mark.parametrize("index", ["list", "tree"])
@pytest.mark.parametrize("fit", FITS)
def test_matches_the_model(index, fit, seed):
    rng = random.Random(seed)
    capacity = rng.choice([64, 1000, 1000, 2**40])  # small ranges make ties and exhaustion common
    allocator = heapkit.MemoryAllocator(capacity, fit=fit, index=index)
    model = Model(capacity, fit)
    for step in range(3000):
        live = sorted(model.allocated)
        address = rng.choice(live) if live and rng.random() < 0.8 else rng.randrange(-2, capacity + 2)
        operation = rng.random()
        if operation < 0.45:
            size, alignment = random_value(rng, capacity), rng.choice([1, 1, 1, 2, 8, 64, 3, -4])
            want = model.allocate(size, alignment)
            got = outcome(lambda: allocator.allocate(size, alignment))
        elif operation < 0.85:
            size = model.allocated.get(address, 1) if rng.random() < 0.8 else random_value(rng, capacity)
            want = model.free(address, size)
            got = outcome(lambda: allocator.free(address, size))
        else:
            size, alignment = random_value(rng, capacity), rng.choice([1, 1, 16])
            want = model.reallocate(address, size, alignment)
            got = outcome(lambda: allocator.reallocate(address, size, alignment))
        assert got == want, f"step {step}"
        allocator.validate()
        assert allocator.free_blocks() == [tuple(b) for b in model.free_list], f"step {step}"
        assert allocator.allocated == model.allocated


@pytest.mark.parametrize("index", ["tlsf", "buddy"])
def test_own_rule_indexes_keep_the_contract(index, seed):
    rng = random.Random(seed)
    capacity = rng.choice([64, 1000, 2**40])
    allocator = heapkit.MemoryAllocator(capacity, index=index)
    rules = Model(capacity, "first")  # only its checks are used
    out_of_memory = 0
    for step in range(3000):
        live = sorted(allocator.allocated)
        if rng.random() < 0.55 or not live:
            size, alignment = random_value(rng, capacity), rng.choice([1, 1, 2, 8, 64, 3])
            got = outcome(lambda: allocator.allocate(size, alignment))
            expected_error = Model.request_error(size, alignment)
            if expected_error:
                assert got == expected_error, f"step {step}"
            elif got == "OutOfMemory":
                out_of_memory += 1
                if index == "tlsf":
                    holds = any(-(-s // alignment) * alignment + size <= s + n for s, n in allocator.free_blocks())
                else:
                    holds = allocator.largest_free_block >= max(size, alignment)
                assert not holds, f"step {step}: out of memory with room"
            else:
                assert got % alignment == 0
        else:
            address = rng.choice(live)
            rules.allocated = allocator.allocated
            size = rules.allocated[address] if rng.random() < 0.8 else random_value(rng, capacity)
            want = rules.free_error(address, size)
            assert outcome(lambda: allocator.free(address, size)) == want, f"step {step}"
        allocator.validate()
    assert out_of_memory > 0 or capacity == 2**40
