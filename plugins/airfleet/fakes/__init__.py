"""Fake external services that speak the real HTTP APIs, for tests and for running DAGs offline.

Standard library only, so they run on any host with Python, without Airflow.
"""
