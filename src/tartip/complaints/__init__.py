"""Complaints from citizens, government bodies, the police and companies: intake, matching to
vehicles and companies, routing, answers.
"""
