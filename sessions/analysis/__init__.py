"""What is computed from session files: comparison rows and tables, statistics, what-if
re-pricing, chart data and side-by-side stepping. The file format itself lives one level up."""
