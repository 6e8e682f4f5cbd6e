"""State: the DuckDB file that holds cursors and every processor's outputs."""
