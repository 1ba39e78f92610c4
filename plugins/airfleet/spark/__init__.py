"""Spark on a standalone master, through its REST submission API (port 6066).

`hook` talks to the master (create, status, kill), `trigger` waits for a driver in the triggerer,
`operator` submits and defers, `sensor` waits for a driver submitted elsewhere. Import the module
you need: this package imports nothing at load time, so the triggerer pays only for the trigger.
"""
