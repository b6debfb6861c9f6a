"""What travels between the viewer and the runner: the experiment spec (what to run) and the
runner's events (what happened), each defined once. Standard library only: the runner imports
it under any Python >= 3.11."""
