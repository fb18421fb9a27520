"""Fixture notebooks for the grader tests."""
