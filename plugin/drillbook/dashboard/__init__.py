"""The incident dashboard: a static site (``drillbook dashboard --out DIR``) for a team's weekly
review of its drills, incidents, post-mortem action items, on-call and runbooks."""
