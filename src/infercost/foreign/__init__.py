"""Backends that run in a Python environment of their own (MXNet, TensorFlow). Only the standard library, numpy,
pydantic and the framework may be imported here: these modules run in that environment, not infercost's."""
