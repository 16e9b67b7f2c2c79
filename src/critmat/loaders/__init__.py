"""Loaders: one module per original publisher.

Each reads the publisher's own file format into a tidy frame using critmat ids and units, and (when
online) downloads the file with a pinned sha256 into the cache (:mod:`critmat.loaders.fetch`).
"""
