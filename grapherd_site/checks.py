"""System checks for grapherd's environment variables (filled in with the configuration module)."""
