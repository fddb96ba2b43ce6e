"""Moves the wall clock of every Python process of a `make test-calendar` run by the same offset.

`clock_matrix.py` puts this folder on PYTHONPATH and sets TEST_CLOCK_OFFSET_S (a name the tests pass on
to the processes they start, unlike ANTHROPIC_* and CLAUDE_ASSETS_*), so pytest, the emulator,
dagster-daemon, the webserver, code servers and runs all see one clock: time.time() and datetime.now()
are moved (time-machine), time.monotonic() is not, so timed waits still wait as long as they say.
(libfaketime moves the monotonic clock too, which hangs Python's timed waits.)
"""

import os

_offset = os.environ.get("TEST_CLOCK_OFFSET_S")
if _offset:
    import time

    import time_machine

    time_machine.travel(time.time() + float(_offset), tick=True).start()
