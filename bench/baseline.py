"""One module of another checkout, loaded beside this checkout's own, for benchmarks that compare the two in one
process (the machine's drift between whole runs is larger than the differences they measure)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType


def baseline_module(checkout: Path, *relative_paths: str) -> ModuleType:
    """The first of `relative_paths` that `checkout` has (a module may have moved between the two), loaded
    under its own module name (`baseline_` + the file's stem); its imports resolve to this checkout's modules."""
    found = [checkout / relative for relative in relative_paths if (checkout / relative).is_file()]
    if not found:
        raise SystemExit(f"{checkout} has none of {', '.join(relative_paths)}")
    path = found[0]
    spec = importlib.util.spec_from_file_location(f"baseline_{path.stem}", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module
