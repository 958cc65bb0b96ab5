"""Mutation testing of the legal arithmetic: `python -m tests.mutation --help`, docs/testing.md."""
