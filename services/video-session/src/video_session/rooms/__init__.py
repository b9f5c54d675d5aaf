"""Rooms: where a clerk and a resident (and her village agent) meet on video."""
