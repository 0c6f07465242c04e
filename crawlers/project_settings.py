"""Plain ``scrapy crawl NAME`` in a riftlab project: the settings and options ``riftlab crawl`` would use.

``scrapy.cfg`` names :mod:`crawlers.settings`, whose ``ADDONS`` hold :class:`ProjectSettings`.  For a
spider ``riftlab crawl`` did not configure, it loads the project (riftlab.yaml in the current folder,
or ``-s RIFTLAB_PROJECT_DIR=DIR``; the warehouse from ``warehouse.path``, or ``RIFTLAB_DB``), gives the
spider its ``sources.<name>`` options with ``-a NAME=VALUE`` over them (checked like riftlab.yaml) and
its start URLs (``-a start_urls=URL1,URL2``, else the source's), and sets what riftlab.yaml's ``crawl``
section says, exactly as :func:`crawlers.runner.scrapy_settings` does for ``riftlab crawl``.  Values
given with ``-s`` win: they have the command line's priority.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

from scrapy.settings import SETTINGS_PRIORITIES

from warehouse.errors import ConfigError, RiftlabError

logger = logging.getLogger(__name__)

#: ``-s RIFTLAB_PROJECT_DIR=DIR``: the riftlab project (default: the current folder).
PROJECT_DIR = "RIFTLAB_PROJECT_DIR"


class ProjectSettings:
    """Scrapy add-on: the project's crawl settings and source options for ``scrapy crawl``."""

    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def update_settings(self, settings) -> None:
        try:
            self._apply(settings)
        except RiftlabError as exc:
            # One line and a non-zero exit, as riftlab's commands give: Scrapy would only log the traceback
            # of a failed crawl task and exit 0.  Nothing is open yet (no sink, no request).
            sys.stderr.write(f"error: {exc}\n")
            sys.stderr.flush()
            os._exit(exc.exit_code)

    def _apply(self, settings) -> None:
        from crawlers.runner import CrawlSpec, scrapy_settings
        from crawlers.settings_schema import source_options
        from crawlers.spiders.base import RiftSpider
        from warehouse.project import Project

        spider = getattr(self.crawler, "spider", None)
        if not isinstance(spider, RiftSpider) or spider.configured_by is not None:
            return  # riftlab crawl set everything already
        folder = settings.get(PROJECT_DIR) or None
        if folder is None and not (Path.cwd() / "riftlab.yaml").is_file():
            raise ConfigError(
                f"no riftlab.yaml in {Path.cwd()}: run scrapy crawl in the riftlab project's folder, "
                f"or pass -s {PROJECT_DIR}=DIR"
            )
        project = Project.load(folder)
        arguments = dict(spider.arguments)
        if spider.start_urls:
            arguments["start_urls"] = ",".join(spider.start_urls)
        options = source_options(spider.name, dict(project.config["sources"].get(spider.name) or {}), arguments)
        start_urls = options.pop("start_urls")
        if not start_urls:
            raise ConfigError(
                f"sources.{spider.name}.start_urls is empty in {project.root / 'riftlab.yaml'}: "
                "set it or pass -a start_urls=URL1,URL2"
            )
        spider.configure(start_urls, options)
        values = scrapy_settings(project, [CrawlSpec(spider=spider.name, start_urls=start_urls, options=options)])
        jobdir = project.config["crawl"]["jobdir"]
        if jobdir:
            values.set("JOBDIR", str(project.root / jobdir / spider.name), priority="cmdline")
        for name in values:
            if values.getpriority(name) > SETTINGS_PRIORITIES["project"]:  # riftlab.yaml's, not the module's
                settings.set(name, values[name], priority="project")  # under -s (the command line's priority)
        logger.info("scrapy crawl %s: project %s, start URLs %s", spider.name, project.root, ", ".join(start_urls))
