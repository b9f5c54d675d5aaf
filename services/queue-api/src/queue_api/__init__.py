"""queue-api: remote queue numbering (远程叫号) for the service centres and island stations."""
