"""Reference faces: a subject's enrolled template from her ID-card photo (never the photo)."""
