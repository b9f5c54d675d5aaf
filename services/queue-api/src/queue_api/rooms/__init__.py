"""Video rooms opened for tickets, as video-session announces them (``room.opened``).

The ticket's stream shows the holder where to join; this keeps the link on queue-api's side.
"""
