"""Tickets (号): numbering, the queue, calling and the life of a ticket until it is done."""
