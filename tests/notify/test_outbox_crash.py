"""kill -9 between claiming a delivery and recording it: after a restart each channel delivers once."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select, update

from monitor.notify.channels.apprise import AppriseChannel
from monitor.notify.outbox import STALE_CLAIM, deliver_pending, enqueue_alerts
from monitor.notify.webhook import WebhookChannel
from monitor.settings import AlertSettings
from monitor.store.db import open_database, session_factory, session_scope
from monitor.store.schema import Notification, utcnow
from tests.notify.helpers import T0, data, load, scan, settings
from tests.notify.receivers import Receiver
from tests.support.loopback import serve

REPO = Path(__file__).resolve().parents[2]
# The child claims the Apprise delivery, says so, and hangs before sending: then it is killed.
CHILD = textwrap.dedent(
    """
    import asyncio, sys
    from monitor.notify.channels.apprise import AppriseChannel
    from monitor.notify.outbox import deliver_pending
    from monitor.store.db import open_database, session_factory

    class Hang:
        def __init__(self, channel):
            self.channel = channel

        def __getattr__(self, name):
            return getattr(self.channel, name)

        async def send(self, alert):
            print("CLAIMED", flush=True)
            await asyncio.Event().wait()

    engine = open_database(sys.argv[1])
    asyncio.run(deliver_pending(session_factory(engine), [Hang(AppriseChannel(sys.argv[2]))], "vi"))
    """
)


def test_a_killed_delivery_is_sent_once_after_restart_and_other_channels_are_untouched(
    db_url: str, tmp_path: Path
) -> None:
    engine = open_database(db_url)
    factory = session_factory(engine)
    receiver = Receiver()
    try:
        with serve(receiver.app()) as base:
            apprise_url = f"json://{base.removeprefix('http://')}/chat"
            alerts = AlertSettings.model_validate(
                {"email": False, "webhook": {"url": f"{base}/webhook"}, "apprise": {"urls": [apprise_url]}}
            )
            configured = settings(db_url).model_copy(update={"alerts": alerts})
            [pair] = scan(factory, [data()], T0)
            with session_scope(factory) as session:
                finding, observation = load(session, pair)
                queued = enqueue_alerts(session, finding, observation, configured)
                assert sorted(row.channel.partition(":")[0] for row in queued) == ["apprise", "webhook"]
            child = subprocess.Popen(
                [sys.executable, "-c", CHILD, db_url, apprise_url],
                cwd=REPO,
                stdout=subprocess.PIPE,
                text=True,
            )
            assert child.stdout is not None
            assert child.stdout.readline().strip() == "CLAIMED"
            os.kill(child.pid, signal.SIGKILL)
            assert child.wait(timeout=30) == -signal.SIGKILL
            with session_scope(factory) as session:
                statuses = {
                    row.channel.partition(":")[0]: row.status for row in session.scalars(select(Notification))
                }
            assert statuses == {"apprise": "sending", "webhook": "pending"}
            assert receiver.seen.snapshot() == []
            channels = [AppriseChannel(apprise_url), WebhookChannel(f"{base}/webhook")]
            # Restarted at once: the claim may still be a live sender's, so nothing is sent twice.
            early = asyncio.run(deliver_pending(factory, channels, "vi"))
            assert early.sent == 1  # the webhook only
            # Past the hold the dead claim is released and the alert goes out, once.
            with session_scope(factory) as session:
                session.execute(
                    update(Notification)
                    .where(Notification.status == "sending")
                    .values(sent_at=utcnow() - STALE_CLAIM - timedelta(seconds=1))
                )
            late = asyncio.run(deliver_pending(factory, channels, "vi"))
            again = asyncio.run(deliver_pending(factory, channels, "vi"))
            received = receiver.seen.wait_for(2)
        assert (late.sent, again.sent) == (1, 0)
        assert sorted(item["path"] for item in received) == ["/chat", "/webhook"]
        with session_scope(factory) as session:
            final = {
                row.channel.partition(":")[0]: (row.status, row.attempts)
                for row in session.scalars(select(Notification))
            }
        assert final == {"apprise": ("sent", 2), "webhook": ("sent", 1)}
    finally:
        engine.dispose()
