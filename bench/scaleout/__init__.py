"""Several bot workers in webhook mode behind a reverse proxy that keeps each chat on one worker."""
