"""The deterministic no-model backend: lexicons and patterns that find zones, figures, projects and names."""
