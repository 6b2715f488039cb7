"""Length-bucketed batches with dynamic padding.

Padding every sequence to ``max_length`` makes a batch of short texts cost as much as a
batch of long ones. Sorting by length, cutting into batches and padding each batch only
to its own longest sequence removes most of that waste; shuffling the batch order (not
the sorted order) keeps training stochastic. None of this depends on the device.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch


def length_buckets(
    lengths: Sequence[int], batch_size: int, generator: torch.Generator | None = None
) -> list[list[int]]:
    """Indices in batches of similar length; batch order shuffled when a generator is given."""
    if batch_size < 1:
        raise ValueError(f"batch_size must be positive, got {batch_size}")
    order = sorted(range(len(lengths)), key=lambda i: (lengths[i], i))
    batches = [order[start : start + batch_size] for start in range(0, len(order), batch_size)]
    if generator is not None:
        batches = [batches[i] for i in torch.randperm(len(batches), generator=generator).tolist()]
    return batches


def pad_batch(sequences: Sequence[Sequence[int]], pad_value: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(values, attention mask), padded on the right to the longest sequence of the batch."""
    width = max((len(s) for s in sequences), default=0)
    values = torch.full((len(sequences), width), pad_value, dtype=torch.long)
    mask = torch.zeros((len(sequences), width), dtype=torch.long)
    for row, sequence in enumerate(sequences):
        values[row, : len(sequence)] = torch.as_tensor(sequence, dtype=torch.long)
        mask[row, : len(sequence)] = 1
    return values, mask
