"""video-session: screen-to-screen rooms, signaling, projection (图文投屏) and co-browsing (操作共享)."""
