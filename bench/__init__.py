"""sessiond benchmarks: figures against the original pipeline and ccusage (see BENCHMARKS.md)."""
