"""What each command does, as library functions the CLI calls (and that scripts can call too)."""
