"""A small G6 client for notebooks and scripts: GraphQL queries over HTTP, subscriptions over WebSocket
(the graphql-transport-ws protocol), answers as pandas DataFrames.

Needs pandas and websockets (Debian: python3-pandas python3-websockets); HTTP uses the standard library.

    from g6client import G6Client
    g6 = G6Client()                       # G6_URL (default http://localhost:4000/graphql), G6_API_KEY
    chain = g6.chain_frame("NIFTY", strikes_around_atm=5)
    updates = g6.stream_overview("NIFTY", 5)

Units are G6's: IVs are decimals (0.15 = 15 %), delta per index point, OI in units, times UTC.
"""

from __future__ import annotations

import asyncio
import json
import os
import threading
import urllib.error
import urllib.request
from collections.abc import AsyncIterator
from typing import Any

import pandas as pd
import websockets

DEFAULT_URL = "http://localhost:4000/graphql"
PROTOCOL = "graphql-transport-ws"

CHAIN_QUERY = """
query Chain($index: IndexSymbol!, $expiry: Date, $strikes: Int) {
  optionChain(index: $index, expiry: $expiry, strikesAroundAtm: $strikes) {
    index expiry timestamp spot atmStrike timeToExpiryYears stale
    strikes {
      strike
      call { lastPrice iv delta gamma oi volume }
      put { lastPrice iv delta gamma oi volume }
    }
  }
}
"""

OVERVIEW_SUBSCRIPTION = """
subscription Overview($index: IndexSymbol!, $expiry: Date) {
  overviewUpdated(index: $index, expiry: $expiry) {
    seq timestamp expiry spot atmStrike atmIv pcrOi pcrVolume maxPainStrike expectedMove sentimentScore
  }
}
"""

LEG_FIELDS = ("lastPrice", "iv", "delta", "gamma", "oi", "volume")


class G6Error(Exception):
    """A GraphQL error answer. `code` is the server's `extensions.code` (UNAUTHENTICATED, STALE_DATA, …);
    `status` the HTTP status or the WebSocket close code."""

    def __init__(self, message: str, code: str | None = None, status: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.status = status


def _error_from(errors: list[dict[str, Any]], status: int | None = None) -> G6Error:
    code = (errors[0].get("extensions") or {}).get("code") if errors else None
    return G6Error("; ".join(str(e.get("message")) for e in errors), code, status)


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name)


class G6Client:
    """One G6 endpoint. `url` and `api_key` default to the G6_URL and G6_API_KEY environment variables;
    `timeout_seconds` bounds each HTTP request and each wait for a WebSocket message."""

    def __init__(self, url: str | None = None, api_key: str | None = None, timeout_seconds: float = 10.0) -> None:
        self.url = url or os.environ.get("G6_URL") or DEFAULT_URL
        self.api_key = api_key if api_key is not None else os.environ.get("G6_API_KEY") or None
        self.timeout_seconds = timeout_seconds

    @property
    def ws_url(self) -> str:
        return "ws" + self.url[len("http") :] if self.url.startswith("http") else self.url

    def _authorization(self) -> dict[str, str]:
        return {"authorization": f"Bearer {self.api_key}"} if self.api_key else {}

    def query(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """Runs a query over HTTP POST and returns its `data`; raises G6Error on any error."""
        body = json.dumps({"query": query, "variables": variables or {}}).encode()
        request = urllib.request.Request(
            self.url,
            data=body,
            method="POST",
            headers={"content-type": "application/json", "accept": "application/json", **self._authorization()},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_seconds) as response:
                status, answer = response.status, json.load(response)
        except urllib.error.HTTPError as error:  # 4xx/5xx still carry a GraphQL error body
            status, answer = error.code, json.loads(error.read() or b"{}")
        if answer.get("errors"):
            raise _error_from(answer["errors"], status)
        if answer.get("data") is None:
            raise G6Error(f"HTTP {status} without data", None, status)
        return answer["data"]

    async def subscribe(self, query: str, variables: dict[str, Any] | None = None) -> AsyncIterator[dict[str, Any]]:
        """Yields the `data` of each event of a subscription (graphql-transport-ws). Leaving the loop
        completes the subscription and closes the socket."""
        async with websockets.connect(
            self.ws_url, subprotocols=[PROTOCOL], open_timeout=self.timeout_seconds, max_size=2**24
        ) as socket:
            await socket.send(json.dumps({"type": "connection_init", "payload": self._authorization()}))
            await self._expect_ack(socket)
            await socket.send(
                json.dumps({"id": "1", "type": "subscribe", "payload": {"query": query, "variables": variables or {}}})
            )
            try:
                while True:
                    message = await self._receive(socket)
                    kind = message.get("type")
                    if kind == "ping":
                        await socket.send(json.dumps({"type": "pong"}))
                    elif kind == "next":
                        payload = message["payload"]
                        if payload.get("errors"):
                            raise _error_from(payload["errors"])
                        yield payload["data"]
                    elif kind == "error":
                        raise _error_from(message["payload"])
                    elif kind == "complete":
                        return
            finally:
                if socket.open:
                    await socket.send(json.dumps({"id": "1", "type": "complete"}))

    async def _receive(self, socket: Any) -> dict[str, Any]:
        try:
            return json.loads(await asyncio.wait_for(socket.recv(), self.timeout_seconds))
        except websockets.ConnectionClosed as closed:
            raise G6Error(f"WebSocket closed: {closed.code} {closed.reason}".strip(), None, closed.code) from None
        except asyncio.TimeoutError:
            raise G6Error(f"no message from {self.ws_url} in {self.timeout_seconds} s") from None

    async def _expect_ack(self, socket: Any) -> None:
        while True:
            message = await self._receive(socket)
            if message.get("type") == "connection_ack":
                return
            if message.get("type") == "ping":
                await socket.send(json.dumps({"type": "pong"}))

    def chain_frame(self, index: str = "NIFTY", expiry: str | None = None, strikes_around_atm: int | None = 10) -> pd.DataFrame:
        """The option chain of one expiry (None: the nearest), one row per strike (the index), with
        `call_*` and `put_*` columns (last_price, iv, delta, gamma, oi, volume). `attrs` holds the
        chain's index, expiry, timestamp, spot, atm_strike, time_to_expiry_years and stale flag."""
        chain = self.query(CHAIN_QUERY, {"index": index, "expiry": expiry, "strikes": strikes_around_atm})["optionChain"]
        if chain is None:
            raise G6Error(f"the server has not collected {index} yet")
        rows = []
        for row in chain["strikes"]:
            record: dict[str, Any] = {"strike": row["strike"]}
            for side in ("call", "put"):
                leg = row[side] or {}
                for field in LEG_FIELDS:
                    record[f"{side}_{_snake(field)}"] = leg.get(field)
            rows.append(record)
        columns = ["strike"] + [f"{side}_{_snake(f)}" for side in ("call", "put") for f in LEG_FIELDS]
        frame = pd.DataFrame(rows, columns=columns).astype("float64").set_index("strike")
        frame.attrs = {_snake(k): v for k, v in chain.items() if k != "strikes"}
        return frame

    async def overview_updates(self, index: str = "NIFTY", expiry: str | None = None) -> AsyncIterator[dict[str, Any]]:
        """Each `overviewUpdated` event of one index (the current one first), for `async for`."""
        async for data in self.subscribe(OVERVIEW_SUBSCRIPTION, {"index": index, "expiry": expiry}):
            yield data["overviewUpdated"]

    def stream_overview(self, index: str = "NIFTY", n: int = 5, expiry: str | None = None) -> pd.DataFrame:
        """Collects `n` consecutive overview updates into a DataFrame, one row per update (the current one
        first, then one per collection), with `timestamp` as UTC datetimes. `seq` rises by one per
        collection, so a gap means a skipped snapshot. Usable in a notebook, whose event loop is running."""

        async def collect() -> list[dict[str, Any]]:
            updates: list[dict[str, Any]] = []
            async for update in self.overview_updates(index, expiry):
                updates.append(update)
                if len(updates) >= n:
                    break
            return updates

        updates = _run(collect())
        frame = pd.DataFrame(updates)
        frame.columns = [_snake(c) for c in frame.columns]
        frame["timestamp"] = pd.to_datetime(frame["timestamp"], utc=True)
        return frame


def _run(coroutine: Any) -> Any:
    """Runs a coroutine to completion, on a thread of its own when this thread already runs an event
    loop (Jupyter's kernel does), since asyncio.run refuses to nest."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["value"] = asyncio.run(coroutine)
        except BaseException as error:  # re-raised in the caller's thread
            outcome["error"] = error

    thread = threading.Thread(target=target, name="g6client")
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]
