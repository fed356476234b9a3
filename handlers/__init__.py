"""The Slack edge: thin Bolt listeners over the domain core in ``bot``."""
