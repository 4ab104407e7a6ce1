"""Views of stored results: terminal tables (and later figures and the HTML page); reads records only.

Domain layer (report).
"""
