"""Counters (窗口): the windows clerks open, each serving some service items."""
