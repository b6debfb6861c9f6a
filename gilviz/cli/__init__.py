"""The command line: `gilviz run|tour|list|results|serve` headless (`main`, with the live
progress line and tables of `progress`), or `gilviz` alone to open the app."""
