"""`airfleet dags purge`: complete, batched deletion of DAGs from the Airflow metadata DB.

- `plan`: which rows of which tables belong to the DAGs, found by reflecting the live schema.
- `batches`: counting and running the plan in short transactions.
- `script`: the same plan as SQL for a DBA (MySQL or PostgreSQL).
- `guards`: what must hold before a purge (known ids, no active tasks, file gone from its bundle).
- `logfiles`: the DAGs' task log files.
- `command`: the command itself.
"""
