"""``prefinery``: the command line.

prefinery demo               materialize every asset of the default graph
prefinery run SOURCE...      materialize the graph for some sources (new or changed)
prefinery sources list       the registered sources
prefinery sources check      validate the registry and verify every pinned file
"""

from __future__ import annotations

import argparse
import sys

from prefinery.settings import Settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="prefinery", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("demo", help="materialize every asset of the default graph")
    run = commands.add_parser("run", help="materialize the graph for the given sources")
    run.add_argument("sources", nargs="+", metavar="SOURCE")
    run.add_argument("--executor", choices=("multiprocess", "in_process"), default="multiprocess")
    run.add_argument(
        "--select",
        metavar="SELECTION",
        help="only these assets, in Dagster's selection syntax, e.g. 'group:ingest or group:normalize' "
        "(default: every asset)",
    )
    sources = commands.add_parser("sources", help="inspect the source registry").add_subparsers(
        dest="action", required=True
    )
    sources.add_parser("list", help="one line per registered source")
    sources.add_parser("check", help="validate the registry and verify every file against its sha256")
    args = parser.parse_args(argv)

    if args.command == "demo":
        from orchestration.launch import run_demo

        return run_demo()
    if args.command == "run":
        import time

        from orchestration.launch import materialize, summary

        started = time.monotonic()
        results = materialize(args.sources, executor=args.executor, selection=args.select)
        print(summary(results, time.monotonic() - started))
        return 0 if all(r.success for r in results) else 1
    return _sources(args.action)


def _sources(action: str) -> int:
    from prefinery.dataroot import FileResolver, SourceFileError
    from prefinery.parsers import PARSERS
    from prefinery.registry import RegistryError, load_registry

    settings = Settings.from_env()
    try:
        registry = load_registry(settings.registry_path, known_parsers=set(PARSERS))
    except RegistryError as exc:
        print(exc, file=sys.stderr)
        return 2
    if action == "list":
        for s in registry.sources:
            records = sum(f.rows or 0 for f in s.files)
            print(
                f"{s.id:<30} {s.kind:<17} {s.role:<10} {s.license.spdx:<14} {len(s.files):>4} files {records:>8,} records"
            )
        return 0
    resolver = FileResolver(settings, log=lambda m: print(m, file=sys.stderr))
    problems = 0
    for s in registry.sources:
        for f in s.files:
            try:
                resolved = resolver.resolve(s, f)
            except SourceFileError as exc:
                problems += 1
                print(f"FAIL {exc}")
            else:
                print(f"ok   {s.id}/{f.path} ({resolved.origin})")
    print(f"{problems} problem(s) in {sum(len(s.files) for s in registry.sources)} files")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
