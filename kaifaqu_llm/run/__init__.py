"""Run engines: the in-process pipeline and the sharded batch engines (local processes or Ray Data)."""
