"""Scoring against gold annotations: fact-level scores and segmentation scores."""
