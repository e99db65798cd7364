"""Trips and vehicle events from the companies over MDS (Provider pull and Agency push), and the
city's picture of them.
"""
