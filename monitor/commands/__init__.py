"""CLI sub-commands, one module each; `monitor.cli` registers them."""
