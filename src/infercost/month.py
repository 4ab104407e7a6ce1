"""The month every bill is priced on: 730 hours (a year's 8,760 hours over twelve), defined here once.

Core layer.
"""

HOURS_PER_MONTH = 730.0
SECONDS_PER_MONTH = HOURS_PER_MONTH * 3600
