"""agent: see DESIGN.md."""
