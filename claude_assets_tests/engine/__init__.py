"""Tests of how a day lands: the client, the lake, the sync and its guards, the telemetry readers."""
