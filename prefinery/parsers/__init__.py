"""Format parsers, by the name a registry entry uses (``<family>.<entity>``).

Every module in this package that exports ``PARSERS`` is picked up, so a new format is
one new module; see ``base.py`` for the contract.
"""

from __future__ import annotations

import importlib
import pkgutil

from prefinery.parsers.base import Parser


def _discover() -> dict[str, Parser]:
    found: dict[str, Parser] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        for name, parser in getattr(module, "PARSERS", {}).items():
            if name in found:
                raise ValueError(f"parser {name!r} is defined twice (second time in {module.__name__})")
            found[name] = parser
    return found


PARSERS: dict[str, Parser] = _discover()


def family(parser_name: str) -> str:
    """The staging family a parser feeds: the part before the dot."""
    return parser_name.split(".", 1)[0]
