"""Moves the wall clock of every Python process of a `make test-calendar` run by the same offset.

`clock_matrix.py` puts this folder on PYTHONPATH and sets TEST_CLOCK_OFFSET_S (a name the tests pass on
to the processes they start, unlike ANTHROPIC_* and CLAUDE_ASSETS_*), so pytest, the emulator,
dagster-daemon, the webserver, code servers and runs all see one clock: time.time() and datetime.now()
are moved (time-machine), time.monotonic() is not, so timed waits still wait as long as they say.
(libfaketime moves the monotonic clock too, which hangs Python's timed waits.)

gRPC alone keeps the real wall clock: it turns time.time() into deadlines that its C core measures on
the real clock. A code server's start waits for `poll(deadline=time.time())`, which on a clock moved
ten days ahead returns ten days later, so no daemon or webserver would ever reach its code.
"""

import os

_offset = os.environ.get("TEST_CLOCK_OFFSET_S")
if _offset:
    import importlib.util
    import time

    import time_machine

    time_machine.travel(time.time() + float(_offset), tick=True).start()

    class _RealTime:
        """The `time` module as gRPC sees it: the real wall clock, everything else unchanged."""

        def __getattr__(self, name):
            return getattr(time, name)

        @staticmethod
        def time() -> float:
            return time_machine.escape_hatch.time.time()

    if importlib.util.find_spec("grpc") is not None:
        import grpc._channel
        import grpc._common
        import grpc._cython.cygrpc
        import grpc._server
        import grpc._utilities

        for _module in (grpc._channel, grpc._common, grpc._cython.cygrpc, grpc._server, grpc._utilities):
            _module.time = _RealTime()
