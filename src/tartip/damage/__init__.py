"""Damaged vehicles handed over to their companies: reports merged per vehicle, handovers,
webhooks, collection.
"""
