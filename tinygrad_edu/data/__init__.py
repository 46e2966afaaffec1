"""Datasets and loaders (work in progress)."""
