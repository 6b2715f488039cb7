"""Scorers, by name. Every module in this package that exports ``SCORER`` is picked up,
so a new score table is one new module; see ``base.py`` for the contract."""

from __future__ import annotations

import importlib
import pkgutil

from prefinery.scoring.base import Scorer


def _discover() -> dict[str, Scorer]:
    found: dict[str, Scorer] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        scorer = getattr(module, "SCORER", None)
        if scorer is not None:
            if scorer.name in found:
                raise ValueError(f"scorer {scorer.name!r} is defined twice (second time in {module.__name__})")
            found[scorer.name] = scorer
    return found


SCORERS: dict[str, Scorer] = _discover()
