"""Benchmarks for the VTN: a load generator, reference servers and the side-by-side poll benchmark."""
