"""`python -m ai_flow.cli`: how the daemon re-launches the server."""

from ai_flow.cli import main

main()
