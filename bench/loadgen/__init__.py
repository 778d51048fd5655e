"""Simulated OpenADR 2.0b VENs that register with a VTN and poll it, for load measurements.

Public entry points: `LoadConfig` describes a run, `run_load` executes it (in one or several
processes) and returns a `LoadResult`.
"""

from bench.loadgen.config import LoadConfig, Mode, UnsafeTargetError, VtnAddress
from bench.loadgen.result import LoadResult
from bench.loadgen.runner import run_load

__all__ = ["LoadConfig", "LoadResult", "Mode", "UnsafeTargetError", "VtnAddress", "run_load"]
