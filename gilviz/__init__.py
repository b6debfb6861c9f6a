"""gilviz: watch and measure how Python runs work in parallel.

This package's runner side (runner, workloads, executors, spec, environment) imports only the
standard library, so the runner can be started under any Python >= 3.11.
"""

__version__ = "0.1.0"
