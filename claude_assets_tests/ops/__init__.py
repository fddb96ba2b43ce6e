"""Tests of the claude-assets verbs and the README's commands."""
