"""The Draw tab: draw a digit and watch the active model read it, live."""
