"""The result record, its versioned on-disk format (results.jsonl), loading, merging and export.

Core layer (results).
"""

from infercost.results.record import SCHEMA, STATUSES, Record
from infercost.results.store import ResultsStore, load_records, machine_id

__all__ = ["SCHEMA", "STATUSES", "Record", "ResultsStore", "load_records", "machine_id"]
