"""Moves the wall clock of every Python process of a `make test-calendar` run by the same offset.

`clock_matrix.py` puts this folder on PYTHONPATH and sets TEST_CLOCK_OFFSET_S (a name the tests pass on
to the processes they start, unlike ANTHROPIC_* and CLAUDE_ASSETS_*), so pytest, the emulator,
dagster-daemon, the webserver, code servers and runs all see one clock: time.time() and datetime.now()
are moved (time-machine), time.monotonic() is not, so timed waits still wait as long as they say.
(libfaketime moves the monotonic clock too, which hangs Python's timed waits.) gRPC keeps real time:
it turns time.time() + timeout into deadlines its C core measures on the real clock.
"""

import os

_offset = os.environ.get("TEST_CLOCK_OFFSET_S")
if _offset:
    import importlib.util
    import time

    import time_machine

    time_machine.travel(time.time() + float(_offset), tick=True).start()

    class _RealTime:
        """The `time` module as gRPC sees it: the real wall clock."""

        def __getattr__(self, name):
            return getattr(time, name)

        @staticmethod
        def time() -> float:
            return time_machine.escape_hatch.time.time()

    if importlib.util.find_spec("grpc") is not None:
        import grpc._channel
        import grpc._common
        import grpc._server
        import grpc._utilities

        for _module in (grpc._channel, grpc._common, grpc._server, grpc._utilities):
            _module.time = _RealTime()
