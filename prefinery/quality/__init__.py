"""Great Expectations 1.x suites the quality-gate asset checks run (``assets/quality.py``)."""
