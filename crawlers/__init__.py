"""Scrapy project: spiders that land community knowledge in the warehouse's raw schema."""
