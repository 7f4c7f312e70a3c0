"""knowledge: see DESIGN.md."""
