"""Articles in, profiles out: the backend protocol and the two backends (``llm`` and ``rules``) plus their hybrid."""
