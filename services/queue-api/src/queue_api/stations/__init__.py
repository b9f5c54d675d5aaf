"""Stations: island convenience points (便民服务点) where village agents take numbers."""
