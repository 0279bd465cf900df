"""Transports between nodes: NATS JetStream (an in-memory one for unit tests: `share/memory_transport.py`).

Layout on the broker: each origin node owns one stream `SEAWATCH_<ORIGIN>` with subjects
`seawatch.<origin>.>`, and publishes each item to `seawatch.<origin>.<partner>.<kind>` (one subject per
partner, filled only with what that partner's policy lets through). The origin also creates, on its own
stream, one durable pull consumer `to_<partner>` per partner, filtered to that partner's subjects; the
partner only binds to it (next message, ack), so on a secured broker (seawatch.share.region) a partner
can neither create a consumer with a wider filter nor touch anyone else's. What was published while the
partner was away waits for it. Replies come on `_INBOX_<node>.>`, the only subjects a node may subscribe to.
Publishing carries `Nats-Msg-Id = <origin>:<seq>:<partner>`, so a retried publish is dropped by the
broker's duplicate window; the receiver also dedupes on (origin, seq).
"""

from __future__ import annotations

import asyncio
import json
import logging
import ssl
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from seawatch.errors import SeawatchError

log = logging.getLogger(__name__)


class TransportError(SeawatchError):
    """The broker could not be reached or did not confirm; the caller keeps the item and retries."""


class _TlsEofNoise(logging.Filter):
    """nats-py upgrades its connection to TLS with `loop.start_tls` and a fresh StreamReaderProtocol that
    never gets `connection_made`, so that protocol does not know it runs over TLS, and asyncio logs
    "returning true from eof_received() has no effect when using ssl" as a WARNING every time the broker
    closes a TLS connection (a broker stop or restart: every node's terminal). Nothing is wrong then: the
    connection is closed and nats-py reconnects. This drops that one message, nothing else."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("returning true from eof_received() has no effect")


def quiet_tls_eof_warning() -> None:
    """Install `_TlsEofNoise` on asyncio's logger (once)."""
    asyncio_log = logging.getLogger("asyncio")
    if not any(isinstance(f, _TlsEofNoise) for f in asyncio_log.filters):
        asyncio_log.addFilter(_TlsEofNoise())


def stream_name(origin: str) -> str:
    return f"SEAWATCH_{origin.upper()}"


def subject_for(origin: str, partner: str, kind: str) -> str:
    return f"seawatch.{origin}.{partner}.{kind}"


def partner_filter(origin: str, partner: str) -> str:
    return f"seawatch.{origin}.{partner}.>"


def consumer_name(partner: str) -> str:
    """The durable consumer on an origin's stream that `partner` reads from."""
    return f"to_{partner}"


def inbox_prefix(node: str) -> str:
    """A node's private reply subjects (the broker lets only that node subscribe there)."""
    return f"_INBOX_{node}"


@dataclass(frozen=True, slots=True)
class TlsFiles:
    """Mutual TLS to the broker: the region CA and this node's certificate and key (its credential)."""

    ca_file: str
    cert_file: str
    key_file: str

    def context(self) -> ssl.SSLContext:
        ctx = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=self.ca_file)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.load_cert_chain(self.cert_file, self.key_file)
        return ctx


@dataclass(frozen=True, slots=True)
class PartnerLag:
    """What the broker holds for one partner on this node's stream (from the consumer's info)."""

    partner: str
    waiting: int  # published, not yet delivered
    unacked: int  # delivered, not yet acknowledged
    last_ack_stream_seq: int


@dataclass
class Delivery:
    """One message handed to a consumer; `ack()` once it is safely handled."""

    data: bytes
    subject: str
    _ack: Callable[[], Awaitable[None]] = field(repr=False)

    async def ack(self) -> None:
        await self._ack()


class Transport(Protocol):
    @property
    def connected(self) -> bool: ...

    async def start(self) -> None: ...

    async def close(self) -> None: ...

    async def ensure_outgoing(self, origin: str, partners: list[str]) -> None:
        """Make sure this origin's stream and its partners' consumers exist (idempotent)."""
        ...

    async def purge_partner(self, origin: str, partner: str) -> int:
        """Drop what the broker still holds for `partner` on this origin's stream; how many went."""
        ...

    async def lag(self, origin: str, partner: str) -> PartnerLag | None:
        """The broker's view of what `partner` has not yet taken (None when unknown)."""
        ...

    async def publish(self, subject: str, data: bytes, msg_id: str) -> int:
        """Publish and wait for the broker to store it; returns its stream sequence number (of the
        first copy, for a duplicate), raises TransportError otherwise."""
        ...

    async def fetch(self, origin: str, partner: str, batch: int, timeout_s: float) -> list[Delivery]:
        """Up to `batch` messages from `origin` for `partner` (durable); [] when none or unreachable."""
        ...


# --- NATS JetStream --------------------------------------------------------------------------------
def urls_text(nats_url: str | Sequence[str]) -> str:
    """A broker's URL, or a clustered hub's URLs, as people read them (messages, the start-up line)."""
    return nats_url if isinstance(nats_url, str) else ", ".join(nats_url)


class NatsTransport:
    """JetStream over nats-py, reconnecting forever; file storage so a broker restart loses nothing."""

    def __init__(
        self,
        url: str | Sequence[str],
        *,
        publish_timeout_s: float = 5.0,
        max_msgs_per_stream: int = -1,
        stream_max_age_s: float = 14 * 86400.0,
        tls: TlsFiles | None = None,
        node_id: str | None = None,
        replicas: int = 1,
    ) -> None:
        # one URL, or every server of a clustered hub (the client moves to another when one is down)
        self.servers = [url] if isinstance(url, str) else list(url)
        self.url = urls_text(self.servers)
        self.replicas = replicas  # copies the broker keeps of our stream (3 on a clustered hub)
        self.tls = tls
        self.node_id = node_id
        self.publish_timeout_s = publish_timeout_s
        self.max_msgs_per_stream = max_msgs_per_stream
        self.stream_max_age_s = stream_max_age_s  # a partner away longer than this misses the oldest items
        self._nc: Any = None
        self._js: Any = None
        self._read_js: Any = None
        self._subs: dict[tuple[str, str], Any] = {}
        self._streams_ready: set[str] = set()

    @property
    def connected(self) -> bool:
        return bool(self._nc is not None and self._nc.is_connected)

    async def start(self) -> None:
        import nats

        if self._nc is not None and not self._nc.is_closed:
            return  # already started: nats-py reconnects by itself

        async def _on_error(exc: Exception) -> None:
            log.debug("nats: %s", exc)

        async def _on_disconnect() -> None:
            log.info("nats: disconnected from %s", self.url)

        async def _on_reconnect() -> None:
            log.info("nats: reconnected to %s", self.url)

        extra: dict[str, Any] = {}
        if self.tls is not None:
            quiet_tls_eof_warning()
            try:
                extra["tls"] = self.tls.context()
            except (OSError, ssl.SSLError) as exc:
                raise TransportError(f"TLS credential unusable: {exc}") from exc
        if self.node_id is not None:
            extra["inbox_prefix"] = inbox_prefix(self.node_id)
            extra["name"] = f"seawatch-{self.node_id}"
        else:
            extra["name"] = "seawatch"
        try:
            self._nc = await nats.connect(
                servers=self.servers,
                allow_reconnect=True,
                max_reconnect_attempts=-1,
                reconnect_time_wait=0.5,
                connect_timeout=5,  # an island link may have seconds of latency
                error_cb=_on_error,
                disconnected_cb=_on_disconnect,
                reconnected_cb=_on_reconnect,
                **extra,
            )
        except Exception as exc:  # nats raises several unrelated types on a failed first connect
            raise TransportError(f"cannot connect to {self.url}: {exc}") from exc
        self._js = self._nc.jetstream()
        self._read_js = self._js  # where partners' streams are (an island reads them from the hub)

    async def close(self) -> None:
        if self._nc is not None:
            try:
                await self._nc.close()
            except Exception as exc:
                log.debug("nats close: %s", exc)
        self._nc = None
        self._js = None
        self._subs.clear()
        self._streams_ready.clear()

    async def ensure_outgoing(self, origin: str, partners: list[str]) -> None:
        if origin in self._streams_ready:
            return
        if self._js is None:
            raise TransportError("not connected")
        await self._ensure_stream(self._js, self.stream_config(origin))
        await self._ensure_consumers(self._js, origin, partners)
        self._streams_ready.add(origin)

    def stream_config(self, origin: str, **changes: Any) -> Any:
        from nats.js.api import StorageType, StreamConfig

        config = StreamConfig(
            name=stream_name(origin),
            subjects=[f"seawatch.{origin}.>"],
            storage=StorageType.FILE,
            max_msgs=self.max_msgs_per_stream,
            max_age=self.stream_max_age_s,
            duplicate_window=120.0,
            num_replicas=self.replicas,
        )
        for key, value in changes.items():
            setattr(config, key, value)
        return config

    async def _ensure_stream(self, js: Any, config: Any) -> None:
        try:
            await js.add_stream(config)
        except Exception as exc:
            try:  # exists with another config: update it
                await js.update_stream(config)
            except Exception:
                raise TransportError(f"cannot create stream {config.name}: {exc}") from exc

    async def _ensure_consumers(self, js: Any, origin: str, partners: list[str]) -> None:
        from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

        for partner in partners:
            name = consumer_name(partner)
            try:
                await js.add_consumer(
                    stream_name(origin),
                    ConsumerConfig(
                        name=name,
                        durable_name=name,
                        filter_subject=partner_filter(origin, partner),
                        ack_policy=AckPolicy.EXPLICIT,
                        deliver_policy=DeliverPolicy.ALL,
                        ack_wait=30.0,
                        max_ack_pending=100_000,
                    ),
                )
            except Exception as exc:
                raise TransportError(
                    f"cannot create consumer {name} on {stream_name(origin)}: {exc}"
                ) from exc

    async def purge_partner(self, origin: str, partner: str) -> int:
        if self._js is None or not self.connected:
            raise TransportError("not connected")
        return await self._purge("$JS.API", origin, partner)

    async def _purge(self, api: str, origin: str, partner: str) -> int:
        try:
            resp = await self._nc.request(
                f"{api}.STREAM.PURGE.{stream_name(origin)}",
                json.dumps({"filter": partner_filter(origin, partner)}).encode(),
                timeout=self.publish_timeout_s,
            )
            body = json.loads(resp.data)
        except Exception as exc:
            raise TransportError(f"purge {origin}->{partner}: {exc}") from exc
        if "error" in body:
            raise TransportError(f"purge {origin}->{partner}: {body['error']}")
        return int(body.get("purged", 0))

    async def lag(self, origin: str, partner: str) -> PartnerLag | None:
        if self._js is None or not self.connected:
            return None
        try:
            info = await self._js.consumer_info(stream_name(origin), consumer_name(partner), timeout=1.0)
        except Exception as exc:
            log.debug("consumer info %s/%s: %s", origin, partner, exc)
            return None
        return PartnerLag(
            partner,
            int(info.num_pending or 0),
            int(info.num_ack_pending or 0),
            int(getattr(info.ack_floor, "stream_seq", 0) or 0),
        )

    async def publish(self, subject: str, data: bytes, msg_id: str) -> int:
        if self._js is None or not self.connected:
            raise TransportError("not connected")
        try:
            ack = await self._js.publish(
                subject, data, timeout=self.publish_timeout_s, headers={"Nats-Msg-Id": msg_id}
            )
        except Exception as exc:
            self._streams_ready.clear()  # a broker that lost its store needs the stream again
            raise TransportError(f"publish {subject}: {exc}") from exc
        return int(ack.seq)

    async def fetch(self, origin: str, partner: str, batch: int, timeout_s: float) -> list[Delivery]:
        import nats.errors
        import nats.js.errors

        if self._js is None or not self.connected:
            await asyncio.sleep(timeout_s)
            return []
        key = (origin, partner)
        sub = self._subs.get(key)
        if sub is None:
            try:  # bind only: the origin made the consumer (a partner may not create one)
                await self._read_js.consumer_info(stream_name(origin), consumer_name(partner), timeout=1.0)
                sub = await self._read_js.pull_subscribe_bind(
                    durable=consumer_name(partner),
                    stream=stream_name(origin),
                    inbox_prefix=(inbox_prefix(partner) + ".").encode(),
                )
            except Exception as exc:  # origin never started (no consumer yet) or broker away
                log.debug("pull_subscribe %s/%s: %s", origin, partner, exc)
                await asyncio.sleep(timeout_s)
                return []
            self._subs[key] = sub
        try:
            msgs = await sub.fetch(batch=batch, timeout=timeout_s)
        except (TimeoutError, nats.errors.TimeoutError):
            return []
        except Exception as exc:
            log.debug("fetch %s/%s: %s", origin, partner, exc)
            if isinstance(exc, nats.js.errors.NotFoundError):
                self._subs.pop(key, None)
            await asyncio.sleep(min(timeout_s, 0.5))
            return []
        return [Delivery(m.data, m.subject, m.ack) for m in msgs]
