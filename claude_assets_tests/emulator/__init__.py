"""Tests of the embedded default: what the emulator serves, against the reference and the field reports."""
