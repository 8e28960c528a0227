"""The knowledge base: full-text search over runbooks, post-mortems and drill reports."""
