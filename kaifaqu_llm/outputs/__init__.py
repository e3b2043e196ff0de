"""Everything written for people and other programs: JSONL files, CSV and SQLite exports, the HTML report, progress."""
