"""Imported at start-up by every Python that mutmut's test run starts (see tests/mutmut_hits.py):
it hands the functions this process ran back to the test process, which mutmut cannot see."""

import os

if os.environ.get("MUTANT_UNDER_TEST") == "stats" and os.environ.get("GILVIZ_MUTMUT_HITS"):
    import atexit
    import multiprocessing.util

    def _hand_back_hits(_: object = None) -> None:
        try:
            from mutmut.state import state
        except ImportError:
            return
        hits = state()._stats
        if hits:
            path = os.path.join(os.environ["GILVIZ_MUTMUT_HITS"], f"{os.getpid()}.txt")
            with open(path, "a") as out:
                out.write("\n".join(hits) + "\n")
            hits.clear()

    def _in_pool_workers_too(_: object) -> None:
        """Pool workers leave through multiprocessing, which skips atexit but runs finalizers."""
        multiprocessing.util.Finalize(None, _hand_back_hits, exitpriority=100)

    atexit.register(_hand_back_hits)
    multiprocessing.util.register_after_fork(_hand_back_hits, _in_pool_workers_too)
