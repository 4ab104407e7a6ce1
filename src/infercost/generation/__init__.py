"""Generative models: token-by-token timing with a KV cache (TTFT, TPOT, inter-token latency), the KV cache's size.

Runtime layer (generation).
"""
