"""Alarm rules, the ISA-18.2 lifecycle, and notification channels."""
