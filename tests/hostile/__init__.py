"""Tests against small HTTP servers of their own that behave unlike the simulator."""
