"""Claude Code's OpenTelemetry output, as a Collector's file exporter writes it.

`files`: finding and reading the exporter's files as Collectors name and break them. `days`: their
lines sorted into UTC days and kept with the lake once read. `metrics` and `events`: a day's
lines as rows.
"""
