"""The command line of a generated, checked-in file (docs/asyncapi.json, docs/settings.md): write or check it.

python -m <generator>            write the file
python -m <generator> --check    exit 1 if the checked-in file differs from what the generator gives
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path


def write_or_check(
    program: str, description: str, default_output: Path, render: Callable[[], str], argv: list[str] | None = None
) -> None:
    parser = argparse.ArgumentParser(prog=f"python -m {program}", description=description)
    parser.add_argument("--output", type=Path, default=default_output)
    parser.add_argument("--check", action="store_true", help="exit 1 if the file differs from what is generated")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        current = args.output.read_text() if args.output.exists() else ""
        if current != text:
            print(f"{args.output} is out of date: run python -m {program}", file=sys.stderr)
            sys.exit(1)
        return
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text)
    print(f"wrote {args.output}")
