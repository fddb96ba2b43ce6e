"""One module per `claude-assets` verb; `cli.py` only dispatches to them."""
