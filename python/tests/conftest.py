"""pytest set-up for heapkit's Python tests (run with PYTHONPATH=build/python): seeds are printed."""
import os
import random

import pytest


@pytest.fixture
def seed(request):
    """A seed for a randomized test: HEAPKIT_SEED replays a run; the seed is printed either way."""
    value = int(os.environ.get("HEAPKIT_SEED", random.randrange(2**63)))
    print(f"[ seed ] {request.node.name}: HEAPKIT_SEED={value} replays this run")
    return value
