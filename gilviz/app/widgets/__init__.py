"""The app's panels, one module each."""
