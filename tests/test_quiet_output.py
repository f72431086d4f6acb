"""`opora run` says what matters and stops at once: no dictionary loading lines, no line per long
poll, and SIGTERM (Ctrl-C) answers even with a chat page open."""

import asyncio
import time

import pytest
from aiohttp import ClientSession, TraceConfig
from support.waiting import wait_until
from support.web_visitor import Visitor, WebOpora

pytestmark = pytest.mark.e2e


async def test_a_page_left_open_does_not_hold_the_stop_and_polls_are_not_logged(tmp_path):
    opora = await WebOpora(tmp_path).start()
    olena = Visitor(opora, "uk")
    try:
        await olena.says("/start")
        sent = []

        async def headers_sent(*_) -> None:
            sent.append(1)

        tracing = TraceConfig()
        tracing.on_request_headers_sent.append(headers_sent)
        page = ClientSession(cookie_jar=olena.http.cookie_jar, trace_configs=[tracing])
        polls = [asyncio.create_task(page.get(opora.url + "/api/inbox?after=0")) for _ in range(2)]
        await wait_until(lambda: len(sent) == 2)  # the page's long polls are sent
        async with page.get(opora.url + "/healthz") as response:  # and read by the server before this
            assert response.status == 200
        started = time.monotonic()
        assert await opora.stop() == 0
        assert time.monotonic() - started < 5  # not the 25 s of a long poll
        await asyncio.gather(*polls, return_exceptions=True)
        await page.close()
    finally:
        await olena.close()
    log = opora.log.read_text(errors="replace")
    assert "pymorphy3" not in log and "/api/inbox" not in log
    assert "POST /api/messages 200" in log  # the other requests are still logged
