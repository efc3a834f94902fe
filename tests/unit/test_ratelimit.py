"""The demo server's per-minute rate limiter, driven by a fake clock."""

from __future__ import annotations

from batch_tui.core.clock import FakeClock
from batch_tui.demo.ratelimit import RateLimiter
from helpers import EPOCH

# EPOCH is 10:00:00 UTC, the start of a one-minute window.
WINDOW_END = int(EPOCH) + 60


def test_epoch_starts_a_minute():
    assert EPOCH % 60 == 0


def test_allows_limit_requests_then_refuses():
    limiter = RateLimiter(3, FakeClock(EPOCH))
    verdicts = [limiter.check() for _ in range(5)]
    assert [v.allowed for v in verdicts] == [True, True, True, False, False]


def test_remaining_counts_down_to_zero():
    limiter = RateLimiter(3, FakeClock(EPOCH))
    assert [limiter.check().remaining for _ in range(5)] == [2, 1, 0, 0, 0]


def test_allowed_requests_report_limit_and_reset_without_retry_after():
    clock = FakeClock(EPOCH + 10)
    verdict = RateLimiter(5, clock).check()
    assert verdict.headers() == {
        "X-RateLimit-Limit": "5",
        "X-RateLimit-Remaining": "4",
        "X-RateLimit-Reset": str(WINDOW_END),
    }


def test_refusal_says_to_retry_when_the_window_ends():
    clock = FakeClock(EPOCH)
    limiter = RateLimiter(2, clock)
    limiter.check(), limiter.check()
    clock.advance(15)
    refused = limiter.check()
    assert not refused.allowed
    assert refused.retry_after == 45
    assert refused.reset == WINDOW_END
    assert refused.headers() == {
        "X-RateLimit-Limit": "2",
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset": str(WINDOW_END),
        "Retry-After": "45",
    }


def test_retry_after_rounds_up_and_is_at_least_one_second():
    clock = FakeClock(EPOCH)
    limiter = RateLimiter(1, clock)
    limiter.check()
    clock.set(EPOCH + 20.5)
    assert limiter.check().retry_after == 40  # 39.5 s left, rounded up
    clock.set(EPOCH + 59.9)
    assert limiter.check().retry_after == 1


def test_reset_is_the_end_of_the_current_window_wherever_in_it_we_are():
    clock = FakeClock(EPOCH + 59)
    limiter = RateLimiter(10, clock)
    assert limiter.check().reset == WINDOW_END
    clock.set(EPOCH + 60)
    assert limiter.check().reset == WINDOW_END + 60


def test_a_new_window_restores_the_full_budget():
    clock = FakeClock(EPOCH)
    limiter = RateLimiter(2, clock)
    for _ in range(3):
        limiter.check()
    assert not limiter.check().allowed
    clock.set(EPOCH + 60)
    fresh = limiter.check()
    assert fresh.allowed
    assert fresh.remaining == 1
    assert fresh.reset == WINDOW_END + 60


def test_refused_requests_do_not_spend_next_windows_budget():
    clock = FakeClock(EPOCH)
    limiter = RateLimiter(1, clock)
    for _ in range(10):
        limiter.check()
    clock.advance(60)
    assert limiter.check().allowed


def test_limit_zero_or_none_turns_the_limit_off():
    for off in (0, None):
        limiter = RateLimiter(off, FakeClock(EPOCH))
        verdicts = [limiter.check() for _ in range(500)]
        assert all(v.allowed for v in verdicts)
        assert "Retry-After" not in verdicts[-1].headers()
        # The headers still go out, reporting a large budget.
        assert verdicts[-1].limit == RateLimiter.UNLIMITED
        assert verdicts[-1].remaining == RateLimiter.UNLIMITED - 500
