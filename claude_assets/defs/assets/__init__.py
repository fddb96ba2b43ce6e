"""Asset groups: raw endpoint assets now; telemetry and the joined history build on them."""
