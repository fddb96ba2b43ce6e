"""HOW a day lands: the endpoint type, tables, calendars, the lake, the sync, the client and the telemetry readers.

Nothing here knows which APIs exist (that is `sources/`) or, where it can help it, about Dagster (`defs/`).
"""
