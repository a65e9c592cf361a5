"""Pure rule evaluation: no I/O, no clock, no globals. See :mod:`loyalty_connector.engine.evaluate`."""
