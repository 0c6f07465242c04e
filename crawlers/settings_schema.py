"""Defaults for the ``sources``, ``schedules`` and ``crawl`` sections of riftlab.yaml."""

SOURCES = {
    "wiki": {"start_urls": []},
    "coaching": {"start_urls": []},
    "forum": {"start_urls": []},
    "meraki": {"start_urls": []},
    "ddragon": {"start_urls": []},
}

SCHEDULES = {
    "wiki": "0 3 * * 1",
    "coaching": "0 4 * * *",
    "forum": "0 5 * * *",
    "meraki": "0 2 * * *",
    "ddragon": "0 2 * * *",
}

CRAWL = {}
