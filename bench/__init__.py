"""Benchmarks and model evaluation."""
