"""Live terminal views (progress); quiet and plain when output is not a terminal.

Domain layer (view).
"""
