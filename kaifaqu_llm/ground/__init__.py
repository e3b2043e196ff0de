"""Evidence grounding: locate each quoted fact in the article text and build the article record."""
