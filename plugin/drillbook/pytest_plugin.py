"""drillbook's pytest plugin: collects runbooks and drills as items. Hooks only."""
