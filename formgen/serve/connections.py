"""The connections the server holds open: none waits without end on a client that sends nothing.

uvicorn closes a keep-alive connection left idle after a response, but waits without end for the
headers of a request: a machine on the network that opens connections and sends part of a request
on each holds them all, and a few thousand use up the process's open files, so that no one else is
answered (tried: 20,000 in a minute; under the usual limit of 1,024, a thousand would do). Here

* a connection has ``HEADERS_SECONDS`` to send a request's headers, from when it opens or its
  last response ended, and is closed otherwise;
* one address holds at most ``MAX_PER_ADDRESS`` connections at once (a browser opens six; an
  office behind one NAT address some dozens); a further one is closed as it opens. The reverse
  proxies given with ``--proxy`` are exempt: every user comes through them, and they guard
  their own connections;
* the process may open as many files as the system lets it (the soft limit raised to the hard one).
"""

from __future__ import annotations

import ipaddress
from collections import Counter

from uvicorn.protocols.http.h11_impl import H11Protocol

HEADERS_SECONDS = 10
MAX_PER_ADDRESS = 128


def guarded_protocol(proxies: tuple[str, ...] = ()) -> type[H11Protocol]:
    """uvicorn's HTTP/1.1 protocol with the guards above; ``proxies``: the addresses (or networks)
    of the reverse proxies, exempt from the bound by address."""
    networks = [ipaddress.ip_network(proxy, strict=False) for proxy in proxies]
    open_by_address: Counter[str] = Counter()

    def bounded(address: str) -> bool:
        try:
            return not any(ipaddress.ip_address(address.split("%")[0]) in network for network in networks)
        except ValueError:  # not an IP address (a Unix socket's peer): nothing to count by
            return False

    class Guarded(H11Protocol):
        def connection_made(self, transport) -> None:
            super().connection_made(transport)
            self._headers_timer = None
            self._address = self.client[0] if self.client and bounded(self.client[0]) else None
            if self._address is not None:
                open_by_address[self._address] += 1
                if open_by_address[self._address] > MAX_PER_ADDRESS:
                    transport.close()
                    return
            self._await_headers()

        def connection_lost(self, exc) -> None:
            if self._address is not None:
                open_by_address[self._address] -= 1
                if not open_by_address[self._address]:
                    del open_by_address[self._address]
                self._address = None
            self._stop_timer()
            super().connection_lost(exc)

        def on_response_complete(self) -> None:
            super().on_response_complete()
            self._await_headers()

        def _await_headers(self) -> None:
            """Close the connection unless a new request's headers have come in ``HEADERS_SECONDS``
            (a new request is a new ``cycle``)."""
            self._stop_timer()
            if not self.transport.is_closing():
                waiting_on = self.cycle
                self._headers_timer = self.loop.call_later(HEADERS_SECONDS, self._close_if_still_waiting, waiting_on)

        def _close_if_still_waiting(self, waiting_on) -> None:
            self._headers_timer = None
            if self.cycle is waiting_on and not self.transport.is_closing():
                self.transport.close()

        def _stop_timer(self) -> None:
            if self._headers_timer is not None:
                self._headers_timer.cancel()
                self._headers_timer = None

    return Guarded


def allow_all_open_files() -> None:
    """Raise the soft limit of open files to the hard one, where the system has such limits."""
    try:
        import resource
    except ImportError:  # Windows: no such limit
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        except (ValueError, OSError):  # some systems cap it lower than they say (macOS)
            pass
