"""The Cluster page of the Airflow UI: Celery workers, DAG runs and where tasks run, with every time
in the cluster's display zone (AIRFLOW_UI_TIMEZONE).

`plugin` registers it with Airflow (entry point `airflow.plugins`); `app` is the authenticated
FastAPI app behind it; `zones` is stdlib-only, so the image's entrypoint can run it before Airflow
is importable.
"""
