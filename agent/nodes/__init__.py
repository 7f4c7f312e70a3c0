"""The graph's nodes: each takes the state and the turn's runtime and returns an update."""
