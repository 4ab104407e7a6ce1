"""The package's version, for the CLI, the records and the export cache's key.

Core layer.
"""

__version__ = "0.1.0"
