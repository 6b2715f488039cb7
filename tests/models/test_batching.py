from __future__ import annotations

import pytest
import torch

from models.batching import length_buckets, pad_batch


def test_buckets_hold_every_index_once_and_group_similar_lengths():
    lengths = [5, 50, 7, 48, 6, 49, 51, 4]
    batches = length_buckets(lengths, batch_size=4)
    assert sorted(i for b in batches for i in b) == list(range(len(lengths)))
    assert [sorted(lengths[i] for i in b) for b in batches] == [[4, 5, 6, 7], [48, 49, 50, 51]]


def test_shuffling_reorders_batches_not_their_members_and_repeats_with_the_seed():
    lengths = list(range(40))
    plain = length_buckets(lengths, 4)
    first = length_buckets(lengths, 4, torch.Generator().manual_seed(3))
    assert sorted(map(tuple, first)) == sorted(map(tuple, plain)) and first != plain
    assert first == length_buckets(lengths, 4, torch.Generator().manual_seed(3))


def test_batch_size_must_be_positive():
    with pytest.raises(ValueError):
        length_buckets([1, 2], 0)


def test_padding_reaches_only_the_longest_sequence_of_the_batch():
    values, mask = pad_batch([[1, 2, 3], [4]], pad_value=0)
    assert values.tolist() == [[1, 2, 3], [4, 0, 0]]
    assert mask.tolist() == [[1, 1, 1], [1, 0, 0]]
