"""Willingness (意愿认证): a signature needs a recent face verification of the same person in
the same session. The evidence comes only from face-verify's events on the bus."""
