"""The demo service: simulated batches served over real HTTP.

``simulator`` answers the API's questions at the clock's time, from ``catalog``
(which batches exist), ``batches`` (one batch's timetable), ``items`` (its item
results) and ``fleet`` (an index of finished batches that keeps pages cheap).
``server`` serves it over HTTP, with ``ratelimit``, and ``faults`` (with the
hostile answers in ``misbehave``) to make it misbehave on purpose.

It imports nothing from Textual: tests, benchmarks and ``batch-tui demo-server``
use it without the dashboard.
"""
