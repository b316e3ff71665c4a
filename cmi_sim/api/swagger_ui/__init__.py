"""Swagger UI 5.36.0 (swagger-ui-dist from the npm registry, Apache-2.0: LICENSE and NOTICE here), vendored so
`/docs` renders offline, with no CDN. Version 5 reads OpenAPI 3.1, which FastAPI serves; the 4.x bundle that
PyPI's swagger-ui-bundle ships does not ("Unable to render this definition").

To update: `npm pack swagger-ui-dist@5`, unpack, copy swagger-ui-bundle.js (+ its .LICENSE.txt), swagger-ui.css
and favicon-32x32.png here, and change the version above.
"""

from pathlib import Path

VERSION = "5.36.0"
DIRECTORY = Path(__file__).resolve().parent
