"""The live feed: what apps and display boards see, as Server-Sent Events with resume."""
