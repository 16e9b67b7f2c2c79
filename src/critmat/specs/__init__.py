"""Specs users write and critmat bundles: flow ``scenarios`` and disruption ``shocks`` (validated YAML)."""
