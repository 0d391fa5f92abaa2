"""Built-in blob managers."""
