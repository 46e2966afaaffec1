"""Graph pictures (work in progress)."""
