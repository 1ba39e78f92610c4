"""dbt Cloud trigger-and-poll over the provider's hook and operator (`airfleet.dbt.operator`).

The trigger lives in this installed package because the triggerer has no DAG files.
"""
