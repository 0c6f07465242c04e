"""One spider per source; each reads its start URLs from ``sources.<name>.start_urls``."""
