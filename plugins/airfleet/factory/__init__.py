"""The DAG factory: tasks, jobs and schedules recorded as data, turned into Airflow DAGs.

- A task is one operator: id, name, type (a registered task type) and params.
- A job is a DAG of tasks: id, name, tasks (ids), dependencies [{"task_id": "2", "pid": "1"}]
  (task 2 runs after task 1), params (the DAG's params), enabled.
- A schedule triggers jobs in dependency order on a cron: id, name, jobs (ids), dependencies in
  the same form (`job_id` or `task_id`, and `pid`), cron, params (passed to each job run), enabled.

Sources: `factory/*.yaml` in the DAG bundle, and the tables `airfleet_factory_task/job/schedule`
(managed with `airfleet factory`). Modules: spec (records and field checks), tasktypes (the
registry), catalog (references, cycles, disabled jobs), sources and db and cache (reading),
build (DAGs), dagfile (what the DAG files call), command (the CLI).
"""
