"""Backends that run in a Python environment of their own (MXNet, TensorFlow). Only the standard library, numpy,
pydantic and the framework may be imported here: these modules run in that environment, not infercost's.

Runtime layer (foreign).
"""


class Unsupported(Exception):
    """This framework can't run the case (a model it has no version of, a precision it lacks)."""
