"""The model backend: endpoint capabilities, model config, prompts, and the instructor-wrapped client."""
