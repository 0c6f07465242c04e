"""Reports a person reads: corpus composition and crawl drift, in the terminal and as HTML under reports/."""
