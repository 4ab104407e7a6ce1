"""What each command does, as library functions the CLI calls (and that scripts can call too).

Command layer: a thin entry point that Python callers use as the CLI does.
"""
