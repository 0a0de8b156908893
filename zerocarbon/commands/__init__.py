"""One module per ``zerocarbon`` subcommand; each exposes ``register(app)``."""
