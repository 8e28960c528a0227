"""Running what runbooks ask for: shell commands, HTTP requests, expectations, rollbacks."""
