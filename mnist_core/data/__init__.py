"""The datasets: the bundled IDX files, their loading and checks, and known label errors."""
