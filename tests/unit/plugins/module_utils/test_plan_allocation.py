"""Property tests of the tunnel allocator (module_utils/_plan.py, docs/plan.md "Allocation").

The allocator is deferred acceptance over /28 blocks. The properties checked here are the
guarantee stated in docs/plan.md. Most run on a small pool (32 or 64 blocks) so that
collisions are frequent; the same code runs on the real 4096-block pool.
"""

from __future__ import annotations

import random
from itertools import combinations

import netaddr
import pytest
from ansible_collections.crosscluster.link.plugins.module_utils._cloud_facts import (
    AWS_RESERVED_TUNNEL_CIDRS,
)
from ansible_collections.crosscluster.link.plugins.module_utils._plan import (
    BLOCK_COUNT,
    _reserved_blocks,
    allocate_blocks,
    block_tunnels,
    build_plan,
    link_id,
    pool_capacity,
    probe,
)
from hypothesis import given, settings
from hypothesis import strategies as st

SMALL = 32
SMALL_RESERVED = frozenset({0, 5, 31})

link_ids = st.from_regex(r"[a-z][a-z0-9]{0,5}--[a-z][a-z0-9]{0,5}", fullmatch=True)
small_sets = st.sets(link_ids, min_size=1, max_size=SMALL - len(SMALL_RESERVED) - 1)


def rank(lid: str, block: int, block_count: int) -> int:
    """Position of ``block`` in the link's probe sequence (inverting start + rank * step)."""
    start = probe(lid, 0, block_count)
    step = (probe(lid, 1, block_count) - start) % block_count
    found = (block - start) * pow(step, -1, block_count) % block_count if block_count > 1 else 0
    assert probe(lid, found, block_count) == block
    return found


def assert_stable(assignment: dict[str, int], block_count: int, reserved: frozenset[int]) -> None:
    """No blocking pair: no link prefers a block that is free, or held by a link it outranks."""
    holder = {block: lid for lid, block in assignment.items()}
    for lid, block in assignment.items():
        for r in range(rank(lid, block, block_count)):
            better = probe(lid, r, block_count)
            if better in reserved:
                continue
            other = holder.get(better)
            assert other is not None, f"{lid} skipped free block {better}"
            assert (rank(other, better, block_count), other) < (r, lid), (lid, better, other)


def first_displaced(
    new: str, assignment: dict[str, int], block_count: int, reserved: frozenset[int]
) -> str | None:
    """Walk the new link's probe sequence through the old assignment: None if it reaches a
    free block first, else the first holder it outranks."""
    holder = {block: lid for lid, block in assignment.items()}
    for r in range(block_count):
        block = probe(new, r, block_count)
        if block in reserved:
            continue
        other = holder.get(block)
        if other is None:
            return None
        if (r, new) < (rank(other, block, block_count), other):
            return other
    raise AssertionError("pool exhausted")


@pytest.mark.parametrize("block_count", [1, 16, 256, BLOCK_COUNT])
def test_probe_sequence_is_a_permutation(block_count: int) -> None:
    for lid in ("a--b", "aws-euw1--gcp-euw1", "x--y"):
        seq = [probe(lid, r, block_count) for r in range(block_count)]
        assert sorted(seq) == list(range(block_count))


def test_reserved_blocks_are_the_aws_reserved_cidrs() -> None:
    reserved_nets = [netaddr.IPNetwork(c) for c in AWS_RESERVED_TUNNEL_CIDRS]
    blocked = {b for b in range(BLOCK_COUNT) if any(t in reserved_nets for t in block_tunnels(b))}
    assert blocked == set(_reserved_blocks())
    assert pool_capacity() == BLOCK_COUNT - 7


@settings(max_examples=200, deadline=None)
@given(small_sets, st.randoms(use_true_random=False))
def test_small_pool_valid_unique_stable_order_independent(ids: set[str], rnd: random.Random):
    assignment = allocate_blocks(ids, SMALL, SMALL_RESERVED)
    assert set(assignment) == ids
    blocks = list(assignment.values())
    assert len(set(blocks)) == len(blocks)
    assert all(0 <= b < SMALL and b not in SMALL_RESERVED for b in blocks)
    shuffled = list(ids)
    rnd.shuffle(shuffled)
    assert allocate_blocks(shuffled, SMALL, SMALL_RESERVED) == assignment
    assert allocate_blocks(shuffled + shuffled[:3], SMALL, SMALL_RESERVED) == assignment
    assert_stable(assignment, SMALL, SMALL_RESERVED)


@settings(max_examples=300, deadline=None)
@given(small_sets, link_ids)
def test_adding_a_link_moves_only_displaced_links(ids: set[str], new: str) -> None:
    ids = ids - {new}
    before = allocate_blocks(ids, SMALL, SMALL_RESERVED)
    after = allocate_blocks(ids | {new}, SMALL, SMALL_RESERVED)
    moved = {lid for lid in ids if before[lid] != after[lid]}
    new_holder = {block: lid for lid, block in after.items()}
    for lid in moved:
        # Its old block went to the new link or to another moved link ...
        assert new_holder.get(before[lid]) in moved | {new}
        # ... and it moved further down its own probe sequence, never up.
        assert rank(lid, after[lid], SMALL) > rank(lid, before[lid], SMALL)
    # Nothing moves exactly when the new link's walk reaches a free block before it reaches
    # a block whose holder it outranks; otherwise that holder is the first to move.
    displaced = first_displaced(new, before, SMALL, SMALL_RESERVED)
    if displaced is None:
        assert moved == set()
        assert after[new] not in before.values()
    else:
        assert displaced in moved
    # Removing the link again restores the previous plan exactly.
    assert allocate_blocks(ids, SMALL, SMALL_RESERVED) == before


def test_small_pool_overflow_is_an_error() -> None:
    ids = [f"a--b{i}" for i in range(SMALL - len(SMALL_RESERVED) + 1)]
    with pytest.raises(ValueError, match="do not fit"):
        allocate_blocks(ids, SMALL, SMALL_RESERVED)
    assert len(allocate_blocks(ids[:-1], SMALL, SMALL_RESERVED)) == len(ids) - 1


@settings(max_examples=50, deadline=None)
@given(st.sets(link_ids, min_size=1, max_size=300))
def test_real_pool_tunnels_are_valid_and_unique(ids: set[str]) -> None:
    assignment = allocate_blocks(ids)
    pool = netaddr.IPNetwork("169.254.0.0/16")
    reserved = {netaddr.IPNetwork(c) for c in AWS_RESERVED_TUNNEL_CIDRS}
    tunnels = [t for block in assignment.values() for t in block_tunnels(block)]
    assert len(set(tunnels)) == 4 * len(ids)
    for t in tunnels:
        assert t.prefixlen == 30 and t in pool and t not in reserved
        assert t.network == t.ip
    assert_stable(assignment, BLOCK_COUNT, _reserved_blocks())


def mesh(names: list[str]) -> list[str]:
    return [link_id(a, b) for a, b in combinations(names, 2)]


@pytest.mark.parametrize(
    "names",
    [
        [f"c{i:02d}" for i in range(13)],
        [
            *("aws-euw1", "aws-use1", "aws-apne1", "aws-usw2"),
            *("gcp-euw1", "gcp-euw4", "gcp-usc1", "gcp-asne1", "gcp-use4", "gcp-sae1"),
            *("dc-fra", "dc-ams", "dc-lon"),
        ],
    ],
)
def test_twelve_cluster_mesh_plus_one_moves_nothing(names: list[str]) -> None:
    before = allocate_blocks(mesh(names[:12]))
    after = allocate_blocks(mesh(names))
    assert len(after) == 78
    assert {lid: after[lid] for lid in before} == before


def test_adding_a_cluster_keeps_existing_tunnels_in_the_plan() -> None:
    def spec(provider: str, i: int) -> dict:
        extra = (
            {"cluster_network": "vpc-0a1b2c3d4e5f60718", "cluster_region": "eu-west-1"}
            if provider == "aws"
            else {
                "cluster_network": "prod",
                "cluster_region": "europe-west1",
                "cluster_project": "demo-project",
            }
        )
        return {
            "cluster_provider": provider,
            "cluster_node_cidrs": [f"10.{i}.0.0/20"],
            "cluster_pod_cidrs": [f"10.{i}.64.0/18"],
            "cluster_service_cidrs": [f"10.{i}.128.0/20"],
            "cluster_dns_zone": f"c{i}.local",
            "cluster_asn": 64600 + i,
            **extra,
        }

    specs = {f"aws{i}": spec("aws", i) for i in range(3)}
    specs |= {f"gcp{i}": spec("gcp", 10 + i) for i in range(4)}
    pairs = [[a, g] for a in specs if a.startswith("aws") for g in specs if g.startswith("gcp")]
    before, errors, _warnings = build_plan(specs, "pairs", pairs)
    assert errors == []
    specs["gcp9"] = spec("gcp", 19)
    more = pairs + [[a, "gcp9"] for a in ("aws0", "aws1", "aws2")]
    after, errors, _warnings = build_plan(specs, "pairs", more)
    assert errors == []
    after_links = {link["id"]: link for link in after["links"]}
    for link in before["links"]:
        assert after_links[link["id"]] == link
