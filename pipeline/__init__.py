"""wirebeam's pipeline: options and CLI, graph assembly, and the driver that commits runs and state."""
