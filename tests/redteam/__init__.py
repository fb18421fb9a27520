"""The red team: hostile submissions graded end to end by the real CLI, sandbox and gradebook."""
