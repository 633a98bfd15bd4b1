"""What every exporter shares: exposition rendering, the registry, the HTTP server, the CLI."""
