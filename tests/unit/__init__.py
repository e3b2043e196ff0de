"""Tests of one module or function: no server, no subprocess."""
