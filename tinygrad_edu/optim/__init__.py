"""Optimizers (work in progress)."""
