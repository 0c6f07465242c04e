"""Jinja templates of the HTML reports (a package so that the templates ship with riftlab)."""
