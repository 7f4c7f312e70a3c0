"""tools: see DESIGN.md."""
