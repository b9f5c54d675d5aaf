"""Ratings (好差评) of completed tickets, and the rectification (整改) of bad reviews."""
