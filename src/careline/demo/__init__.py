"""The demo hospital: fictional directory data and synthetic patients (``careline demo``)."""

from careline.demo.loader import DemoRefused, DemoSummary, StaffHook, is_empty, load_demo

__all__ = ["DemoRefused", "DemoSummary", "StaffHook", "is_empty", "load_demo"]
