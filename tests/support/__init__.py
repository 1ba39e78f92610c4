"""Helpers shared by the integration and end-to-end tests and the benchmarks: fake external services
(fakes/), the compose-cluster driver, containers, databases, images, a Spark standalone cluster, purge
data, free ports and waiting. Test tooling only: none of it is in the `airfleet` package or the image."""
