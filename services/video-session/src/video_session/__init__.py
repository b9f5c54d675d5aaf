"""video-session: rooms, signaling, projection (图文投屏), co-browsing (操作共享)."""
