"""Vision Zero: incidents (crashes, injuries, near misses), the safety map and where a rule would
help.
"""
