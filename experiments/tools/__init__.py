"""Developer tools: the benchmark and the ODD generator."""
