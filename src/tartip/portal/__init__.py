"""The sharing companies' portal: each company's staff see and answer only what concerns their own
vehicles.
"""
