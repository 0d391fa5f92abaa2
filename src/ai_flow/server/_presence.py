"""This server's row among the servers serving the database (metadata/servers.py).

Refreshed every lease period; the internal addresses of the other live servers go into
every task spec after this server's own, so a runtime whose launching server died
claims and heartbeats through another one instead of timing out.
"""

from __future__ import annotations

import logging
import threading

from sqlalchemy.orm import Session, sessionmaker

from ai_flow.metadata import servers, write_session

log = logging.getLogger(__name__)


class Presence:
    def __init__(self, factory: sessionmaker[Session], owner: str, every: float) -> None:
        self._factory = factory
        self._owner = owner
        self._every = every
        self._internal = self._rpc = ""
        self._peers: tuple[str, ...] = ()
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="af-presence", daemon=True)

    def peers(self) -> tuple[str, ...]:
        """Internal RPC addresses of the other live servers, longest running first."""
        return self._peers

    def start(self, internal_address: str, rpc_address: str) -> None:
        self._internal, self._rpc = internal_address, rpc_address
        self._refresh()
        self._thread.start()

    def stop(self) -> None:
        self._stopped.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)
        try:
            with write_session(self._factory) as session:
                servers.remove(session, self._owner)
        except Exception:  # noqa: BLE001 - the row ages out on its own
            log.warning("could not remove this server's row", exc_info=True)

    def _run(self) -> None:
        while not self._stopped.wait(self._every):
            try:
                self._refresh()
            except Exception:  # noqa: BLE001 - the database may be away for a moment
                log.warning("refreshing this server's row failed", exc_info=True)

    def _refresh(self) -> None:
        live_ms = int(self._every * 3000)  # three refreshes missed: taken for gone
        with write_session(self._factory) as session:
            servers.refresh(session, self._owner, self._internal, self._rpc, 100 * live_ms)
            rows = servers.live(session, live_ms)
            addresses = [r.internal_address for r in rows if r.owner != self._owner]
        self._peers = tuple(a for a in addresses if a != self._internal)
