"""``make demo``: the link on the embedded emulated clouds (see tests/demo/__main__.py)."""
