"""Tests of the catalogue: each API family synced end to end, as data in its Source."""
