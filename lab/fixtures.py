"""pytest fixtures for lab tests; teardown is guaranteed whatever the test does.

In a test module:

    pytest_plugins = ["lab.fixtures"]

then use `lab` (one 3-node lab: cp1, w1, w2 on 10.99.0.0/17, shared by the module)
or `lab_factory(nodes=..., subnet=..., gateway=...)` (labs for one test). Both tear
down in a `finally`, so a failing test, an exception in the lab's own up(), or a
Ctrl-C leaves no trace; `python -m lab down --all` covers a killed pytest.
Helpers (requires_root, lab_traces) are in lab/testing.py.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import pytest

from .lab import Lab
from .spec import DEFAULT_GATEWAY, DEFAULT_SUBNET, LabNodeSpec, default_nodes
from .testing import LabFactory, skip_unless_root


@pytest.fixture(scope="module")
def lab() -> Iterator[Lab]:
    """A running 3-node lab (cp1, w1, w2), shared by the tests of one module."""
    skip_unless_root()
    running = Lab(DEFAULT_SUBNET, DEFAULT_GATEWAY, default_nodes(3))
    try:
        yield running.up()
    finally:
        running.down()


@pytest.fixture
def lab_factory() -> Iterator[LabFactory]:
    """Make labs inside one test: lab_factory(nodes=[...], subnet=..., gateway=...)."""
    skip_unless_root()
    made: list[Lab] = []

    def make(
        nodes: Sequence[LabNodeSpec] | None = None, subnet: str = DEFAULT_SUBNET, gateway: str = DEFAULT_GATEWAY
    ) -> Lab:
        new = Lab(subnet, gateway, nodes if nodes is not None else default_nodes(3, subnet))
        made.append(new)
        return new.up()

    try:
        yield make
    finally:
        for each in made:
            each.down()
