"""`make bench`: load and throughput benchmarks against baselines of the same run."""
