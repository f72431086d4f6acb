"""Opora's catalogue of social services: HSDS-aligned models, seed data and data tooling."""

from pathlib import Path

SEED_DATA = Path(__file__).parent / "data"
