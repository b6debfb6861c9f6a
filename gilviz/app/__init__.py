"""The Textual app: `app` wires the panels (`widgets/`) to the live run's state (`live_run`),
the CPU sampler (`sampler`, psutil) and the command palette (`commands`); `serve` puts it in a
browser. Experiments never run here: a runner process does them."""
