"""Example algorithms beside the bundled one; each runs with ``BYOA_ALGORITHM=examples.NAME``."""
