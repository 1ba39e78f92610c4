"""Fake external services that speak the real HTTP APIs (dbt Cloud, Spark's REST server, alert
receivers), for tests and, from a checkout, for running DAGs offline. Test tooling: they are not
part of the shipped `airfleet` package or the image."""
