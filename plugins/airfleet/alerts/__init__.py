"""Failure alerts for every task and DAG of the cluster, attached by the cluster policy.

`message` formats an alert from a callback context; `settings` reads where alerts go (env, then
the `airfleet_alerts` Airflow Variable at run time); `senders` deliver by SMTP, webhook (Slack- and
Teams-style JSON) and AWS SNS; `notifier` is the failure callback; `airfleet.local_settings` is
the policy that attaches it.
"""
