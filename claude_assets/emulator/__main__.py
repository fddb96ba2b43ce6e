"""`python -m claude_assets.emulator`: run the emulator (see cli.py for options)."""

import sys

from .cli import run

sys.exit(run())
