"""The runner side: one experiment run in its own interpreter, which owns the GIL under study.

`runner` reads a spec, runs its cells in rounds with `executors` and `workloads`, records each
worker's `timeline`, reads CPU `usage`, checks checksums against `reference`, describes its
`environment`, and sends typed events (`gilviz.protocol.events`). Standard library only, so it
runs under any Python >= 3.11 with nothing installed.
"""
