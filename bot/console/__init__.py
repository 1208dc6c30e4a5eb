"""The console transport: Candor in a terminal, for the demo and for trying things out."""
