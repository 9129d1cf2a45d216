"""One way for a use case to stop early with a polite answer, and a guard for the rest."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import ParamSpec

from handlers.replies import Reply, error

log = logging.getLogger("scout.handlers")
P = ParamSpec("P")


class Answer(Exception):  # noqa: N818 - it is an answer, not an error
    """Raised with the reply the user should get (a refusal, a usage hint, a not-found)."""

    def __init__(self, reply: Reply) -> None:
        super().__init__(reply.text)
        self.reply = reply


def use_case(fn: Callable[P, Reply]) -> Callable[P, Reply]:
    """Turn early answers into replies, and any unexpected failure into an apology:
    no traceback ever reaches a user (it goes to the log instead)."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> Reply:
        try:
            return fn(*args, **kwargs)
        except Answer as answer:
            return answer.reply
        except Exception:
            log.exception("use case %s failed", fn.__name__)
            return error(
                "Something went wrong on my side and nothing was changed. Please try again in a minute."
            )

    return wrapper
