"""The lending domain and its persistence. Imports no web, LLM or telephony framework."""
