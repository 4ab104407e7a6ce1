"""The project's one exception tree; the CLI catches these, prints one line and exits non-zero.

    InfercostError                 anything the user can act on
    ├── UsageError                 bad input: unknown model, batch 0, resolution that doesn't parse, ...
    ├── BackendError               a runtime failed while loading or running a case
    │   ├── UnsupportedError       the device/runtime cannot run this precision or model
    │   └── OutOfMemoryError       the case ran out of memory (real or capped)
    ├── BackendUnavailableError    the runtime's package is missing; says which extra installs it
    ├── ResultsError               a results file is malformed, newer than this version, or can't be merged
    ├── CatalogError               a catalog row or price is malformed or unknown
    └── ClusterError               the Ray cluster can't be reached or has no node of a kind asked for

Core layer (errors).
"""


class InfercostError(Exception):
    """Base class for errors the user can act on."""


class UsageError(InfercostError):
    """Bad input from the user."""


class BackendError(InfercostError):
    """A runtime failed while loading or running a case."""


class UnsupportedError(BackendError):
    """The device or runtime cannot run this precision or model."""


class OutOfMemoryError(BackendError):
    """The case ran out of memory."""


class BackendUnavailableError(InfercostError):
    """A backend's package is not installed."""


class ResultsError(InfercostError):
    """A results file is malformed, from a newer version, or can't be merged."""


class CatalogError(InfercostError):
    """A catalog row is malformed or a name is unknown."""


class ClusterError(InfercostError):
    """The Ray cluster can't be reached, or has no node of a kind that was asked for."""
