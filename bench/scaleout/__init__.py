"""Several bot workers in webhook mode behind a round-robin reverse proxy."""
