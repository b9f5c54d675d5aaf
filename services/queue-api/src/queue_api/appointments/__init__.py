"""Appointments (预约): bookable slots per centre and item; check-in turns one into a ticket."""
