"""Test support: the scripted OpenAI-compatible server, the CLI harness, the browser driver, rules-vs-gold helpers."""
