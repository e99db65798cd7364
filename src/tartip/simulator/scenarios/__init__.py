"""Cities the simulator knows; each module builds one ``Scenario``."""
