"""socialbot: the social media team's consultant, inside Slack.

The ``bot`` package is the domain core. It never imports Slack libraries; the Slack edge
lives in ``handlers``.
"""

__version__ = "0.1.0"
