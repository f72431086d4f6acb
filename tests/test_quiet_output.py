"""`opora run` says what matters and stops at once: no dictionary loading lines, no line per long
poll, and SIGTERM (Ctrl-C) answers even with a chat page open."""

import asyncio
import time

from web_visitor import Visitor, WebOpora


async def test_a_page_left_open_does_not_hold_the_stop_and_polls_are_not_logged(tmp_path):
    opora = await WebOpora(tmp_path).start()
    olena = Visitor(opora, "uk")
    try:
        await olena.says("/start")
        polls = [asyncio.create_task(olena.http.get(opora.url + "/api/inbox?after=0")) for _ in range(2)]
        await asyncio.sleep(1.5)  # the page's long polls are waiting
        started = time.monotonic()
        assert await opora.stop() == 0
        assert time.monotonic() - started < 5  # not the 25 s of a long poll
        await asyncio.gather(*polls, return_exceptions=True)
    finally:
        await olena.close()
    log = opora.log.read_text(errors="replace")
    assert "pymorphy3" not in log and "/api/inbox" not in log
    assert "POST /api/messages 200" in log  # the other requests are still logged
