"""Container health probe: exit 0 if GET http://127.0.0.1:$PORT<path> answers 2xx.

The image has no curl; this keeps HEALTHCHECK (and compose's /readyz checks) dependency-free.
Usage: python /app/healthcheck.py [/healthz|/readyz]
"""

import os
import sys
import urllib.request

path = sys.argv[1] if len(sys.argv) > 1 else "/healthz"
url = f"http://127.0.0.1:{os.environ.get('PORT', '8101')}{path}"
try:
    with urllib.request.urlopen(url, timeout=2) as response:
        sys.exit(0 if 200 <= response.status < 300 else 1)
except Exception:
    sys.exit(1)
