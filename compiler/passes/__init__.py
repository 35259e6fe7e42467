"""Rewrite passes over the logical plan, one module each, run in the order listed in pipeline.py."""
