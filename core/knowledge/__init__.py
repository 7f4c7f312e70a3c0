"""Knowledge base records: documents and their embedded, full-text indexed chunks."""
