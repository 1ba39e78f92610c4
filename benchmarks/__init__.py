"""Benchmarks: figures for the README, printed, never timed tests. They need a checkout (bin/lib.sh,
the images, tests.support), so they live beside the tests rather than in the shipped package."""
