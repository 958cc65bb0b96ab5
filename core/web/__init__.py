"""The web shell: per-site Litestar apps behind a Host dispatcher, templates, sessions, CSRF, guards, errors."""
