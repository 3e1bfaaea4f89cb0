"""Injected content on OPD sites (issue 21): judi online spam, cloaking, planted pages, redirects and
defacement, read from what the weekly crawl fetched. Pure: pages in, a PageScan out (scan), the
watch's evidence in, findings out (evaluate). The crawl's own part, the second views and the one
lead, is checks/web/watch.py."""
