"""asv suites for lab: one module per system (see benchmarks/README.md)."""
