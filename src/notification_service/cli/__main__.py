"""`python -m notification_service.cli`: how the daemon re-launches the server."""

from notification_service.cli import main

main()
