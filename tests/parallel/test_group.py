"""The process group: each process's share of a global batch."""

from nerkit.parallel.group import Context


def test_shares_of_a_global_batch():
    batch = [5, 2, 8, 1, 9]
    shares = [Context(rank=r, world_size=2).share(batch) for r in range(2)]
    assert shares == [[5, 8, 9], [2, 1]]
    assert sorted(shares[0] + shares[1]) == sorted(batch)
    assert Context().share(batch) == batch
