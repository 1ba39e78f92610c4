"""The DAG factory: tasks, jobs and schedules recorded as data, turned into Airflow DAGs.

- A task is one operator: id, name, type (a registered task type, or an allowed operator's import
  path) and params (its arguments, common settings, outlets/inlets, expand for mapping).
- A job is a DAG of tasks: id, name, tasks (ids), dependencies [{"task_id": "2", "pid": "1"}]
  (task 2 runs after task 1; ids of task_groups too), params (the DAG's params, plain or typed),
  enabled, task_groups, schedule (none: triggered), options (DAG options), task_defaults.
- A schedule triggers jobs in dependency order on a cron or a schedule: id, name, jobs (ids),
  dependencies in the same form (`job_id` or `task_id`, and `pid`), cron or schedule, params
  (passed to each job run), enabled, options.
- Defaults (DAG options, task settings) come from the record, its file's `defaults` block (the
  tables' defaults rows), and the cluster's defaults file, nearest first.

Sources: `factory/*.yaml` in the DAG bundle, and the tables `airfleet_factory_task/job/schedule`
(managed with `airfleet factory`). Modules: spec (records and field checks) with fields (the check
vocabulary), options, groups, mapping, timing, callbacks, alerting and params (one concern each);
tasktypes (the registry) and operators (import paths); allowlist (what records may import) and
yamlsafe (YAML limits); catalog and wiring (references, cycles, defaults, disabled jobs); sources,
db and cache (reading); plan (a DAG as data), build (DAGs) and render (Python files); dagfile
(what the DAG files call); command (the CLI).
"""
