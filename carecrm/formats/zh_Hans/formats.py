"""Django's zh_Hans formats with the thousands separator CNY amounts are written with in
business documents (¥874,560.00), instead of Django's ungrouped default."""

from django.conf.locale.zh_Hans.formats import *  # noqa: F403

THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
