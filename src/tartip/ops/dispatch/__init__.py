"""Dispatch: travel times over the street network and the planner that assigns and orders tasks.

A pure package: no database, no web. The ops domain turns its scouts, shifts and tasks into the
dataclasses of ``model`` and calls ``planner.plan`` / ``planner.replan``; see docs/dispatch.md.
"""
