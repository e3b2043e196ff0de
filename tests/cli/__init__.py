"""Tests that run `kaifaqu` (or a benchmark) as a user does: subprocesses, exit codes, stderr lines."""
